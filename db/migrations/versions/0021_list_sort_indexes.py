"""The ticket search's sort keys: state, category, urgency, topic, each with the row id (issue 14).

Revision ID: 0021
Revises: 0020
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0021"
down_revision: Union[str, Sequence[str], None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = {"ix_tickets_list_state": ["state", "id"], "ix_tickets_list_category": ["category", "id"],
           "ix_tickets_list_urgency": ["urgency", "id"], "ix_tickets_list_topic": ["topic", "id"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns, unique=False)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
