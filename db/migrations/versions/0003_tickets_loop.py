"""tickets: the closed loop (topics, deadlines, assignments, extensions, notifications, calendar)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

New columns on ``tickets`` have server defaults, so existing rows stay valid.
SQLite cannot add foreign keys in place: batch mode copies the table there.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENUM = sa.String(length=16)

TICKET_FLAGS = ("resolved_on_call", "deadline_estimated", "accept_overdue", "overdue", "supervised")
TICKET_COUNTS = ("reopen_count", "extension_days")
TICKET_TIMES = ("dispatched_at", "accepted_at", "replied_at", "visited_at", "closed_at", "archived_at",
                "accept_due_at", "handle_due_at", "return_due_at", "visit_due_at", "accept_reminded_at",
                "supervised_at")


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("keywords", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["topics.id"], name="fk_topics_parent_id_topics"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name="fk_topics_department_id_departments"),
        sa.PrimaryKeyConstraint("id", name="pk_topics"),
        sa.UniqueConstraint("code", name="uq_topics_code"),
    )
    op.create_index("ix_topics_parent_id", "topics", ["parent_id"])

    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=128), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("day", name="pk_calendar_days"),
    )

    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_ticket_counters"),
    )

    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("caller_email", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("topic_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(length=64), nullable=True))
        for name in TICKET_FLAGS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
        for name in TICKET_COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0")))
        for name in TICKET_TIMES:
            batch.add_column(sa.Column(name, sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reply", sa.Text(), nullable=True))
        batch.add_column(sa.Column("satisfaction", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("public_token", sa.String(length=40), nullable=True))
        batch.create_foreign_key("fk_tickets_topic_id_topics", "topics", ["topic_id"], ["id"])
        batch.create_foreign_key("fk_tickets_merged_into_id_tickets", "tickets", ["merged_into_id"], ["id"])
        batch.create_unique_constraint("uq_tickets_public_token", ["public_token"])
        batch.create_index("ix_tickets_topic_id", ["topic_id"])
        batch.create_index("ix_tickets_handle_due_at", ["handle_due_at"])

    with op.batch_alter_table("ticket_events") as batch:
        batch.add_column(sa.Column("actor_role", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))

    op.create_table(
        "ticket_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("opinion_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_assignments_ticket_id_tickets", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name="fk_ticket_assignments_department_id_departments"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_assignments"),
    )
    op.create_index("ix_ticket_assignments_ticket_id", "ticket_assignments", ["ticket_id"])
    op.create_index("ix_ticket_assignments_department_id", "ticket_assignments", ["department_id"])

    op.create_table(
        "ticket_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=True),
        sa.Column("granted_days", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_extensions_ticket_id_tickets", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name="fk_ticket_extensions_department_id_departments"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_extensions"),
    )
    op.create_index("ix_ticket_extensions_ticket_id", "ticket_extensions", ["ticket_id"])

    op.create_table(
        "ticket_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name="fk_ticket_notifications_ticket_id_tickets", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name="fk_ticket_notifications_department_id_departments"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_ticket_notifications_dedupe_key"),
    )
    op.create_index("ix_ticket_notifications_ticket_id", "ticket_notifications", ["ticket_id"])
    op.create_index("ix_ticket_notifications_department_id", "ticket_notifications", ["department_id"])
    op.create_index("ix_ticket_notifications_delivered_at", "ticket_notifications", ["delivered_at"])

    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_clients"),
        sa.UniqueConstraint("name", name="uq_api_clients_name"),
        sa.UniqueConstraint("key_hash", name="uq_api_clients_key_hash"),
    )


def downgrade() -> None:
    for table in ("api_clients", "ticket_notifications", "ticket_extensions", "ticket_assignments"):
        op.drop_table(table)
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_column("detail")
        batch.drop_column("actor_role")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_handle_due_at")
        batch.drop_index("ix_tickets_topic_id")
        batch.drop_constraint("uq_tickets_public_token", type_="unique")
        batch.drop_constraint("fk_tickets_merged_into_id_tickets", type_="foreignkey")
        batch.drop_constraint("fk_tickets_topic_id_topics", type_="foreignkey")
        for name in ("public_token", "merged_into_id", "satisfaction", "reply", *TICKET_TIMES,
                     *TICKET_COUNTS, *TICKET_FLAGS, "created_by", "topic_id", "caller_email"):
            batch.drop_column(name)
    op.drop_table("ticket_counters")
    op.drop_table("calendar_days")
    op.drop_table("topics")
