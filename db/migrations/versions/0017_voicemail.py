"""voicemail to ticket (留言): calls.voicemail_file, voicemail_seconds, voicemail_status

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

New enum values (calls.outcome voicemail, tickets.channel voicemail) need no change: the enums
are stored as plain strings (db.models.base.str_enum).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: Union[str, Sequence[str], None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("voicemail_file", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("voicemail_seconds", sa.Double(), nullable=True))
        batch.add_column(sa.Column("voicemail_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("voicemail_status")
        batch.drop_column("voicemail_seconds")
        batch.drop_column("voicemail_file")
