"""The lists' composite indexes: department + state + deadline, state + deadline, line + deadline (issue 14).

Revision ID: 0020
Revises: 0019
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0020"
down_revision: Union[str, Sequence[str], None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_tickets_department_state_due", "tickets",
                    ["department_id", "state", "handle_due_at", "id"], unique=False)
    op.create_index("ix_tickets_state_due", "tickets", ["state", "handle_due_at", "id"], unique=False)
    op.create_index("ix_tickets_line_due", "tickets", ["line_id", "handle_due_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_line_due", table_name="tickets")
    op.drop_index("ix_tickets_state_due", table_name="tickets")
    op.drop_index("ix_tickets_department_state_due", table_name="tickets")
