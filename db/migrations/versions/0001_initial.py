"""initial schema: departments, lines, queues, agents, calls, tickets

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Written by hand from the models (checked against autogenerate; a test compares
the migrated schema with ``db.models`` on SQLite and PostgreSQL). Enum columns
are plain VARCHAR(16): the allowed values live in the Python enums, so adding a
value needs no migration.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ENUM = sa.String(length=16)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=True),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["departments.id"], name="fk_departments_parent_id_departments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_departments"),
        sa.UniqueConstraint("code", name="uq_departments_code"),
    )
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"])

    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sip_username", sa.String(length=64), nullable=False),
        sa.Column("sip_secret", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.String(length=64), nullable=False),
        sa.Column("skills", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("number", name="uq_agents_number"),
        sa.UniqueConstraint("sip_username", name="uq_agents_sip_username"),
    )

    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("overflow_queue_id", sa.Integer(), nullable=True),
        sa.Column("wrapup_seconds", sa.Integer(), nullable=False),
        sa.Column("announce_position", sa.Boolean(), nullable=False),
        sa.Column("announce_frequency_seconds", sa.Integer(), nullable=False),
        sa.Column("service_level_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["overflow_queue_id"], ["queues.id"], name="fk_queues_overflow_queue_id_queues"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_queues"),
        sa.UniqueConstraint("name", name="uq_queues_name"),
    )

    op.create_table(
        "queue_members",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"],
            name="fk_queue_members_agent_id_agents", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"],
            name="fk_queue_members_queue_id_queues", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "queue_id", name="pk_queue_members"),
    )
    op.create_index("ix_queue_members_queue_id", "queue_members", ["queue_id"])

    op.create_table(
        "lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("mode", ENUM, nullable=False),
        sa.Column("greeting", sa.String(length=64), nullable=True),
        sa.Column("notice_until", sa.Date(), nullable=True),
        sa.Column("active_from", sa.DateTime(), nullable=True),
        sa.Column("active_until", sa.DateTime(), nullable=True),
        sa.Column("business_hours", sa.String(length=255), nullable=True),
        sa.Column("transfer_target", sa.String(length=128), nullable=True),
        sa.Column("queue_name", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("ivr_menu", sa.String(length=64), nullable=True),
        sa.Column("no_menu", sa.Boolean(), nullable=False),
        sa.Column("self_service_url", sa.String(length=512), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name="fk_lines_department_id_departments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lines"),
        sa.UniqueConstraint("number", name="uq_lines_number"),
    )
    op.create_index("ix_lines_department_id", "lines", ["department_id"])

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=True),
        sa.Column("trace_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("dialed_number", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("line_mode", ENUM, nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("arrived_at", sa.DateTime(), nullable=False),
        sa.Column("queue_joined_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("queue_name", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", ENUM, nullable=True),
        sa.Column("ivr_path", sa.String(length=255), nullable=False),
        sa.Column("recording_file", sa.String(length=512), nullable=True),
        sa.Column("wait_seconds", sa.Double(), nullable=True),
        sa.Column("talk_seconds", sa.Double(), nullable=True),
        sa.Column("hangup_cause", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name="fk_calls_line_id_lines", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"],
            name="fk_calls_department_id_departments", ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_calls_agent_id_agents", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint("uniqueid", name="uq_calls_uniqueid"),
    )
    op.create_index("ix_calls_arrived_at", "calls", ["arrived_at"])
    op.create_index("ix_calls_caller", "calls", ["caller"])
    op.create_index("ix_calls_dialed_number", "calls", ["dialed_number"])
    op.create_index("ix_calls_linkedid", "calls", ["linkedid"])
    op.create_index("ix_calls_trace_id", "calls", ["trace_id"])

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("caller_name", sa.String(length=64), nullable=True),
        sa.Column("caller_phone", sa.String(length=64), nullable=True),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("category", ENUM, nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=True),
        sa.Column("urgency", ENUM, nullable=False),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("grid", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name="fk_tickets_line_id_lines", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["departments.id"], name="fk_tickets_district_id_departments"
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["departments.id"], name="fk_tickets_street_id_departments"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name="fk_tickets_department_id_departments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("number", name="uq_tickets_number"),
    )
    op.create_index("ix_tickets_caller_phone", "tickets", ["caller_phone"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_department_id", "tickets", ["department_id"])
    op.create_index("ix_tickets_state", "tickets", ["state"])

    op.create_table(
        "ticket_calls",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"],
            name="fk_ticket_calls_ticket_id_tickets", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name="fk_ticket_calls_call_id_calls", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", "call_id", name="pk_ticket_calls"),
    )
    op.create_index("ix_ticket_calls_call_id", "ticket_calls", ["call_id"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"],
            name="fk_ticket_events_ticket_id_tickets", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    # children first; dropping a table drops its indexes
    for table in (
        "ticket_events", "ticket_calls", "tickets", "calls", "lines",
        "queue_members", "queues", "agents", "departments",
    ):
        op.drop_table(table)
