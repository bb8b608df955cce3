"""kpis: the index of the repeat-rate lookup (复重率)

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-01
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_tickets_repeat_lookup", "tickets", ["caller_phone", "topic_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_repeat_lookup", table_name="tickets")
