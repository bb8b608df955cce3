"""kpi_call_daily: the 一次一评 rating distribution (rated_1 … rated_5); ix_callbacks_centre_day

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

Days rolled up before this migration hold no distribution: they are marked dirty (kpi_dirty_days), so
the KPI queries read them from the call records until the rq cron (or `hotline kpis rollup`) rolls them
again. The callback KPIs (read live) find a period's requests by their centre day.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LEVELS = ("rated_1", "rated_2", "rated_3", "rated_4", "rated_5")


def upgrade() -> None:
    with op.batch_alter_table("kpi_call_daily") as batch:
        for name in LEVELS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.execute("INSERT INTO kpi_dirty_days (family, day, marked_at) "
               "SELECT family, day, CURRENT_TIMESTAMP FROM kpi_rollup_days WHERE family = 'calls' "
               "AND day NOT IN (SELECT day FROM kpi_dirty_days WHERE family = 'calls')")
    op.create_index("ix_callbacks_centre_day", "callbacks", ["centre_day"])


def downgrade() -> None:
    op.drop_index("ix_callbacks_centre_day", table_name="callbacks")
    with op.batch_alter_table("kpi_call_daily") as batch:
        for name in LEVELS:
            batch.drop_column(name)
