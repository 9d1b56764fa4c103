"""decision texts: whether the member wants a text when the plan decides, where, and when they said so

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("second_opinion_requests") as batch:
        batch.add_column(sa.Column("notify_by_text", sa.Boolean, nullable=True))  # None: not asked
        batch.add_column(sa.Column("notify_phone", sa.String(32), nullable=True))  # E.164
        batch.add_column(sa.Column("notify_answered_at", sa.DateTime(timezone=True), nullable=True))
        # The decision the web chat last showed the member (bot/notices.py): shown once
        batch.add_column(sa.Column("notice_seen_status", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("second_opinion_requests") as batch:
        batch.drop_column("notice_seen_status")
        batch.drop_column("notify_answered_at")
        batch.drop_column("notify_phone")
        batch.drop_column("notify_by_text")
