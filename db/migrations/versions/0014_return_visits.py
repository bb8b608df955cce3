"""return visits (回访, 一事一评): requests per ticket round, dialer attempts with a purpose, 不接受回访

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENUM = sa.String(length=16)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("do_not_call", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("visit_resolved", sa.Boolean(), nullable=True))
    op.create_table(
        "return_visits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE",
                                                            name="fk_return_visits_ticket_id_tickets"),
                  nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("note", sa.String(255), nullable=True),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("reached_at", sa.DateTime(), nullable=True),
        sa.Column("summary_prompt", sa.String(64), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("answer", sa.String(24), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("ticket_id", "round", name="uq_return_visits_ticket_round"),
    )
    op.create_index("ix_return_visits_ticket_id", "return_visits", ["ticket_id"])
    op.create_index("ix_return_visits_status", "return_visits", ["status"])
    op.create_index("ix_return_visits_next_attempt_at", "return_visits", ["next_attempt_at"])
    with op.batch_alter_table("callback_attempts") as batch:
        batch.add_column(sa.Column("purpose", ENUM, nullable=False, server_default="callback"))
        batch.add_column(sa.Column("return_visit_id", sa.Integer(), nullable=True))
        batch.alter_column("callback_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key("fk_callback_attempts_return_visit_id_return_visits", "return_visits",
                                 ["return_visit_id"], ["id"], ondelete="CASCADE")
        batch.create_unique_constraint("uq_callback_attempts_return_visit_number", ["return_visit_id", "number"])
        batch.create_index("ix_callback_attempts_return_visit_id", ["return_visit_id"])


def downgrade() -> None:
    op.execute("DELETE FROM callback_attempts WHERE callback_id IS NULL")
    with op.batch_alter_table("callback_attempts") as batch:
        batch.drop_index("ix_callback_attempts_return_visit_id")
        batch.drop_constraint("uq_callback_attempts_return_visit_number", type_="unique")
        batch.drop_constraint("fk_callback_attempts_return_visit_id_return_visits", type_="foreignkey")
        batch.alter_column("callback_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("return_visit_id")
        batch.drop_column("purpose")
    op.drop_table("return_visits")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("visit_resolved")
        batch.drop_column("do_not_call")
