"""Ticket notifications (工单提醒) and the channel clients that create tickets.

A notification row is written in the same transaction as the ticket change
(an outbox): delivery happens after commit in an rq job, and a periodic sweep
delivers whatever an unreachable Redis left behind.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.departments import Department
from db.models.tickets import Ticket, TicketChannel
from db.session import utcnow


class TicketNotification(Base):
    """A message to a department (its portal inbox) or to a centre role."""

    __tablename__ = "ticket_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # the event that caused it: dispatch, escalate...
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))  # reviewer / supervisor
    message: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)  # a job run twice notifies once
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    read_at: Mapped[dt.datetime | None]

    ticket: Mapped[Ticket] = relationship()
    department: Mapped[Department | None] = relationship()


class ApiClient(Base):
    """A channel gateway (web form, SMS, WeChat, mailbox) allowed to POST requests via Open311."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[TicketChannel] = mapped_column(str_enum(TicketChannel))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the api_key
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
