"""KPI roll-ups (指标汇总表): kpi_call_daily, kpi_ticket_daily, kpi_rollup_days, kpi_dirty_days; ix_tickets_unsettled

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

The tables start empty: until `hotline kpis rollup` (or the nightly job) has rolled a day up, the KPI
queries read it from the base tables, as before.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: Union[str, Sequence[str], None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TICKET_SUMS = ("tickets", "resolved_on_call", "dispatched", "accept_decided", "accepted_on_time", "handle_decided",
               "closed_on_time", "overdue", "with_phone", "repeats", "rated", "satisfied", "closed_dispatched",
               "satisfied_closed", "unrated_closed", "visit_due", "visited", "closed", "replied", "returned",
               "extended", "reopened")
UNSETTLED = ("dispatched_at IS NOT NULL AND ((accepted_at IS NULL AND NOT accept_overdue "
             "AND accept_due_at IS NOT NULL) OR (state NOT IN ('closed', 'archived', 'merged') "
             "AND handle_due_at IS NOT NULL))")


def upgrade() -> None:
    op.create_table(
        "kpi_call_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("queue_name", sa.String(length=64), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "received", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl")),
        sa.Column("wait_sum", sa.Float(), nullable=False),
        sa.Column("answered_wait_sum", sa.Float(), nullable=False),
        sa.Column("wait_max", sa.Float(), nullable=True),
        sa.Column("talk_sum", sa.Float(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("rated_satisfied", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_call_daily")),
    )
    op.create_index(op.f("ix_kpi_call_daily_day"), "kpi_call_daily", ["day"], unique=False)
    op.create_table(
        "kpi_ticket_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in TICKET_SUMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_ticket_daily")),
    )
    op.create_index(op.f("ix_kpi_ticket_daily_day"), "kpi_ticket_daily", ["day"], unique=False)
    op.create_table(
        "kpi_rollup_days",
        sa.Column("family", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("short_abandon_seconds", sa.Integer(), nullable=False),
        sa.Column("repeat_days", sa.Integer(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("family", "day", name=op.f("pk_kpi_rollup_days")),
    )
    op.create_table(
        "kpi_dirty_days",
        sa.Column("family", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("family", "day", name=op.f("pk_kpi_dirty_days")),
    )
    op.create_index("ix_tickets_unsettled", "tickets", ["created_at"], unique=False,
                    postgresql_where=sa.text(UNSETTLED), sqlite_where=sa.text(UNSETTLED))


def downgrade() -> None:
    op.drop_index("ix_tickets_unsettled", table_name="tickets")
    op.drop_table("kpi_dirty_days")
    op.drop_table("kpi_rollup_days")
    op.drop_index(op.f("ix_kpi_ticket_daily_day"), table_name="kpi_ticket_daily")
    op.drop_table("kpi_ticket_daily")
    op.drop_index(op.f("ix_kpi_call_daily_day"), table_name="kpi_call_daily")
    op.drop_table("kpi_call_daily")
