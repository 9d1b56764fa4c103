"""crisis flag on handoffs: when a member in a held or waiting conversation spoke of a
crisis, and which kind (never the words)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("crisis_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("crisis_category", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("crisis_category")
        batch.drop_column("crisis_at")
