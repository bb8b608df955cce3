"""self-service ticket progress by phone (工单查询): tickets.query_code, ticket_queries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Existing tickets get no query code: a confidential one among them is read only to its own number.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("query_code", sa.String(length=8), nullable=True))
    op.create_table(
        "ticket_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("found_by", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_ticket_queries_call_id_calls"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_queries_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_queries")),
    )
    op.create_index(op.f("ix_ticket_queries_call_id"), "ticket_queries", ["call_id"], unique=False)
    op.create_index(op.f("ix_ticket_queries_ticket_id"), "ticket_queries", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_queries_ticket_id"), table_name="ticket_queries")
    op.drop_index(op.f("ix_ticket_queries_call_id"), table_name="ticket_queries")
    op.drop_table("ticket_queries")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("query_code")
