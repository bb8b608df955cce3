"""FAQ by phone (电话常见问题): knowledge_articles.title_en, answer_en, phone_order

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

An article without English text is not offered on English calls; ``phone_order`` is the
editors' order among articles asked equally often (empty: after those with an order).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_articles") as batch:
        batch.add_column(sa.Column("title_en", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("answer_en", sa.Text(), nullable=True))
        batch.add_column(sa.Column("phone_order", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_articles") as batch:
        batch.drop_column("phone_order")
        batch.drop_column("answer_en")
        batch.drop_column("title_en")
