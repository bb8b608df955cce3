"""query-code guessing limit (查询码错误次数): ticket_queries.wrong_codes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

How many wrong query codes were keyed for the ticket on that call; the phone progress query
counts them per caller number and day (selfservice.progress.WRONG_CODES_PER_DAY).
Existing rows: a refused query was two wrong codes, a granted one none known.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_queries") as batch:
        batch.add_column(sa.Column("wrong_codes", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE ticket_queries SET wrong_codes = 2 WHERE NOT granted")


def downgrade() -> None:
    with op.batch_alter_table("ticket_queries") as batch:
        batch.drop_column("wrong_codes")
