"""verification limits kept in the database: failed tries, member ID locks, and the
conversations verified (with their last activity)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "verification_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member_id", sa.String(32), nullable=True, index=True),
        sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
        sa.Column("source_hash", sa.String(64), nullable=True, index=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "verification_locks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.String(32), nullable=False, index=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by", sa.String(100), nullable=True),
        sa.Column("unlock_reason", sa.String(200), nullable=True),
    )
    op.create_table(
        "verified_conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(128), nullable=False, unique=True),
        sa.Column("member_id", sa.String(32), nullable=True),
        sa.Column("plan", sa.String(32), nullable=True),
        sa.Column("verified_by", sa.String(100), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("verified_conversations")
    op.drop_table("verification_locks")
    op.drop_table("verification_failures")
