"""callbacks: the rating after the call (一次一评) and the missed-call callback list (漏接回拨)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENUM = sa.String(length=16)


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rating_offered_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("call_rating", sa.Integer(), nullable=True))
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("centre_day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("missed_count", sa.Integer(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("reached_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("caller", "centre_day", name="uq_callbacks_caller_day"),
    )
    op.create_index("ix_callbacks_caller", "callbacks", ["caller"])
    op.create_index("ix_callbacks_status", "callbacks", ["status"])
    op.create_index("ix_callbacks_next_attempt_at", "callbacks", ["next_attempt_at"])
    op.create_table(
        "callback_calls",
        sa.Column("callback_id", sa.Integer(), sa.ForeignKey("callbacks.id", ondelete="CASCADE",
                                                              name="fk_callback_calls_callback_id_callbacks"),
                  primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id", ondelete="CASCADE",
                                                          name="fk_callback_calls_call_id_calls"),
                  primary_key=True),
        sa.UniqueConstraint("call_id", name="uq_callback_calls_call_id"),
    )
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callback_id", sa.Integer(), sa.ForeignKey("callbacks.id", ondelete="CASCADE",
                                                              name="fk_callback_attempts_callback_id_callbacks"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("dialed", sa.String(64), nullable=False),
        sa.Column("outcome", ENUM, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("originate_reason", sa.String(8), nullable=True),
        sa.Column("hangup_cause", sa.String(8), nullable=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="SET NULL",
                                                           name="fk_callback_attempts_agent_id_agents"),
                  nullable=True),
        sa.UniqueConstraint("callback_id", "number", name="uq_callback_attempts_callback_number"),
        sa.UniqueConstraint("channel_id", name="uq_callback_attempts_channel_id"),
    )
    op.create_index("ix_callback_attempts_callback_id", "callback_attempts", ["callback_id"])


def downgrade() -> None:
    op.drop_table("callback_attempts")
    op.drop_table("callback_calls")
    op.drop_table("callbacks")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("call_rating")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("rating_offered_at")
        batch.drop_column("rating")
