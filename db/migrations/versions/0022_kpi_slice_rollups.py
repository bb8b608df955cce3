"""KPI slice roll-ups (按话务员/诉求分类/区县汇总): kpi_call_agent_daily, kpi_ticket_slice_daily (issue 14)

Revision ID: 0022
Revises: 0021

The days already rolled up have no slice rows yet: they are marked dirty, so they are read from the base
tables until rolled again (the rq cron does it within minutes; ``hotline kpis rollup --from --to`` at once).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: Union[str, Sequence[str], None] = "0021"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CALL_SUMS = ("received", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl", "wait_sum",
             "answered_wait_sum", "wait_max", "talk_sum", "rated", "rated_satisfied", "rated_1", "rated_2",
             "rated_3", "rated_4", "rated_5")
CALL_FLOATS = ("wait_sum", "answered_wait_sum", "wait_max", "talk_sum")
TICKET_SUMS = ("tickets", "resolved_on_call", "dispatched", "accept_decided", "accepted_on_time", "handle_decided",
               "closed_on_time", "overdue", "with_phone", "repeats", "rated", "satisfied", "closed_dispatched",
               "satisfied_closed", "unrated_closed", "visit_due", "visited", "closed", "replied", "returned",
               "extended", "reopened")


def _sums(names):
    return [sa.Column(name, sa.Float() if name in CALL_FLOATS else sa.Integer(), nullable=name == "wait_max")
            for name in names]


def upgrade() -> None:
    op.create_table(
        "kpi_call_agent_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue_name", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        *_sums(CALL_SUMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_call_agent_daily")),
    )
    op.create_index(op.f("ix_kpi_call_agent_daily_day"), "kpi_call_agent_daily", ["day"], unique=False)
    op.create_table(
        "kpi_ticket_slice_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        *_sums(TICKET_SUMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_ticket_slice_daily")),
    )
    op.create_index(op.f("ix_kpi_ticket_slice_daily_day"), "kpi_ticket_slice_daily", ["day"], unique=False)
    op.create_index("ix_kpi_ticket_slice_daily_dimension_day", "kpi_ticket_slice_daily", ["dimension", "day"],
                    unique=False)
    # every day rolled so far lacks its slice rows: dirty until rolled again
    op.execute(sa.text(
        "INSERT INTO kpi_dirty_days (family, day, marked_at) SELECT r.family, r.day, CURRENT_TIMESTAMP "
        "FROM kpi_rollup_days r WHERE NOT EXISTS (SELECT 1 FROM kpi_dirty_days d "
        "WHERE d.family = r.family AND d.day = r.day)"))


def downgrade() -> None:
    op.drop_index("ix_kpi_ticket_slice_daily_dimension_day", table_name="kpi_ticket_slice_daily")
    op.drop_index(op.f("ix_kpi_ticket_slice_daily_day"), table_name="kpi_ticket_slice_daily")
    op.drop_table("kpi_ticket_slice_daily")
    op.drop_index(op.f("ix_kpi_call_agent_daily_day"), table_name="kpi_call_agent_daily")
    op.drop_table("kpi_call_agent_daily")
