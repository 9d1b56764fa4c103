"""rides, grievances, their status history; denial notices on requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("second_opinion_requests") as batch:
        batch.add_column(sa.Column("denial_reasons", sa.Text(), nullable=True))
        batch.add_column(sa.Column("denial_notice", sa.Text(), nullable=True))
        batch.add_column(sa.Column("denial_notice_offered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "rides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("second_opinion_requests.id"), nullable=True),
        sa.Column("member_id", sa.String(32), nullable=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appointment_text", sa.String(200), nullable=True),
        sa.Column("pickup_address", sa.Text(), nullable=False),
        sa.Column("companion", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("mobility", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("pcs_required", sa.Boolean(), nullable=False),
        sa.Column("inside_lead_time", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="requested"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rides_request_id", "rides", ["request_id"])
    op.create_index("ix_rides_member_id", "rides", ["member_id"])
    op.create_table(
        "grievances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("member_id", sa.String(32), nullable=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("second_opinion_requests.id"), nullable=True),
        sa.Column("about", sa.String(32), nullable=False),
        sa.Column("account_text", sa.Text(), nullable=False),
        sa.Column("expedited", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="received"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_grievances_member_id", "grievances", ["member_id"])
    op.create_table(
        "record_status_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_record_status_history_record", "record_status_history", ["entity", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_record_status_history_record", "record_status_history")
    op.drop_table("record_status_history")
    op.drop_index("ix_grievances_member_id", "grievances")
    op.drop_table("grievances")
    op.drop_index("ix_rides_member_id", "rides")
    op.drop_index("ix_rides_request_id", "rides")
    op.drop_table("rides")
    with op.batch_alter_table("second_opinion_requests") as batch:
        batch.drop_column("denial_notice_offered_at")
        batch.drop_column("denial_notice")
        batch.drop_column("denial_reasons")
