"""second opinion requests

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "second_opinion_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
        sa.Column("submission_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=True, index=True),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("initial_provider", sa.String(200), nullable=False),
        sa.Column("initial_specialty", sa.String(120), nullable=True),
        sa.Column("initial_recommendation", sa.Text(), nullable=False),
        sa.Column("initial_date_text", sa.String(200), nullable=True),
        sa.Column("initial_date", sa.Date(), nullable=True),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("preferred_provider", sa.String(200), nullable=True),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("authorization_required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, server_default="received"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("conversation_id", "submission_key", name="uq_request_submission"),
    )


def downgrade() -> None:
    op.drop_table("second_opinion_requests")
