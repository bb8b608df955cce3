"""open311 privacy: which tickets the public may read (公开), and whether the reply is published

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

``public``: the channel submitted the request as public (Open311 attribute
``public``); ``reply_published``: the centre published the department's reply.
Both default to false, so every existing ticket stays private.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("public", "reply_published")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
