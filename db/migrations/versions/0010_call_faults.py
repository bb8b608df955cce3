"""call faults: a longest-call limit per line

Revision ID: 0010
Revises: 0003
Create Date: 2026-12-01

``lines.max_call_seconds`` is nullable (None = the centre's default,
ops.asterisk.render.CALL_LIMITS), so existing rows stay valid. The new call
outcome ``unknown`` needs nothing: outcomes are stored as short strings.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("max_call_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("max_call_seconds")
