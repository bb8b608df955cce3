"""Notifications (工单提醒) to a department's portal inbox or to a centre role.

Written in the ticket's transaction (outbox); ``deliver`` runs after commit in
an rq job and passes each one to the configured sender (the log by default;
an SMS gateway plugs in here), then marks it delivered. Delivering twice is
harmless: a delivered row is skipped.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Ticket, TicketNotification
from db.session import utcnow
from tickets import effects

log = logging.getLogger("tickets.notify")

Sender = Callable[[TicketNotification], None]


def notify(session: Session, ticket: Ticket, kind: str, message: str, *, department_id: int | None = None,
           role: str | None = None, key: str | None = None) -> TicketNotification | None:
    """Write one notification; with a ``key`` already used, nothing (a job that runs twice)."""
    dedupe_key = key or f"{ticket.id}:{kind}:{department_id or role}:{uuid.uuid4().hex[:16]}"
    if key and session.scalar(select(TicketNotification.id).where(TicketNotification.dedupe_key == key)):
        return None
    row = TicketNotification(ticket_id=ticket.id, kind=kind, department_id=department_id, role=role,
                             message=message, dedupe_key=dedupe_key)
    session.add(row)
    session.flush()
    effects.after_commit(session, "deliver_notification", row.id)
    return row


def log_sender(notification: TicketNotification) -> None:
    to = f"department {notification.department_id}" if notification.department_id else notification.role
    log.info("notify %s about ticket %s: %s", to, notification.ticket_id, notification.message)


def deliver(session: Session, notification_id: int, sender: Sender = log_sender,
            now: dt.datetime | None = None) -> bool:
    row = session.get(TicketNotification, notification_id, with_for_update=True)
    if row is None or row.delivered_at is not None:
        return False
    sender(row)
    row.delivered_at = now or utcnow()
    return True


def undelivered_ids(session: Session, older_than: dt.datetime) -> list[int]:
    return list(session.scalars(select(TicketNotification.id).where(
        TicketNotification.delivered_at.is_(None), TicketNotification.created_at < older_than)
        .order_by(TicketNotification.id).limit(500)))


def inbox(session: Session, department_id: int, limit: int = 20) -> list[TicketNotification]:
    """A department's unread notifications, newest first."""
    return list(session.scalars(select(TicketNotification).where(
        TicketNotification.department_id == department_id, TicketNotification.read_at.is_(None))
        .order_by(TicketNotification.id.desc()).limit(limit)))
