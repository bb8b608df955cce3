"""centre configuration: versions (audit + restore), staged changes, admin menus, greeting text, queue timings

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-01

queues.conf used to hard-code announce-frequency 45, ring timeout 15 and "please hold" every 60 s;
they become columns, and existing queues get the values they really had.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
    )
    op.create_index("ix_config_versions_kind_key", "config_versions", ["kind", "key", "version"], unique=True)
    op.create_index(op.f("ix_config_versions_changed_at"), "config_versions", ["changed_at"])
    op.create_table(
        "scheduled_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("applied_version_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_changes")),
    )
    op.create_index(op.f("ix_scheduled_changes_key"), "scheduled_changes", ["key"])
    op.create_index(op.f("ix_scheduled_changes_due_at"), "scheduled_changes", ["due_at"])
    op.create_table(
        "ivr_menus",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ivr_menus")),
    )
    with op.batch_alter_table("lines") as batch:
        batch.add_column(sa.Column("greeting_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("greeting_recording", sa.String(length=64), nullable=True))
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("ring_timeout_seconds", sa.Integer(), nullable=False, server_default="15"))
        batch.add_column(sa.Column("periodic_announce_seconds", sa.Integer(), nullable=False, server_default="60"))
    with op.batch_alter_table("queues") as batch:
        batch.alter_column("ring_timeout_seconds", server_default=None)
        batch.alter_column("periodic_announce_seconds", server_default=None)
    op.execute("UPDATE queues SET announce_frequency_seconds = 45 WHERE announce_frequency_seconds = 30")


def downgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("periodic_announce_seconds")
        batch.drop_column("ring_timeout_seconds")
    with op.batch_alter_table("lines") as batch:
        batch.drop_column("greeting_recording")
        batch.drop_column("greeting_text")
    op.drop_table("ivr_menus")
    op.drop_index(op.f("ix_scheduled_changes_due_at"), table_name="scheduled_changes")
    op.drop_index(op.f("ix_scheduled_changes_key"), table_name="scheduled_changes")
    op.drop_table("scheduled_changes")
    op.drop_index(op.f("ix_config_versions_changed_at"), table_name="config_versions")
    op.drop_index("ix_config_versions_kind_key", table_name="config_versions")
    op.drop_table("config_versions")
