"""rq jobs that watch ticket deadlines and deliver notifications. All idempotent.

A job may run twice (retries, two workers): every ticket is re-read under its
row lock and re-checked before it is touched, the ticket's own flags
(``accept_reminded_at``, ``accept_overdue``, ``overdue``) say what was done, and
notifications carry a dedupe key. One ticket per transaction, so one bad row
does not stop the others.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Ticket, TicketState
from db.session import make_engine, make_session_factory, session_scope, utcnow
from hotline.config import current_settings
from tickets import effects, notifications
from tickets.context import SYSTEM
from tickets.deadlines import DEFAULT_TIMEZONE, load_policy
from tickets.states import WITH_DEPARTMENT, Event
from tickets.workflow import transition

log = logging.getLogger("tickets.jobs")

REMIND_LEAD_MAX = dt.timedelta(hours=2)  # remind at most 2 h, at least half the accept time, before it runs out
WATCH_INTERVAL_SECONDS = 60


@contextmanager
def _sessions(database_url: str) -> Iterator[Callable[[], Session]]:
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def watch_deadlines(database_url: str, now: dt.datetime | None = None,
                    timezone: str = DEFAULT_TIMEZONE) -> dict[str, int]:
    """签收催办 reminders, then 逾期 escalation (督办 + notifications); returns what was done."""
    now = now or utcnow()
    done = {"reminded": 0, "escalated": 0, "delivered": 0}
    with _sessions(database_url) as factory:
        with factory() as session:
            remind = [t.id for t in _accept_reminders_due(session, now)]
            late_accept = list(session.scalars(select(Ticket.id).where(
                Ticket.state == TicketState.dispatched, Ticket.accept_overdue.is_(False),
                Ticket.accept_due_at < now)))
            late_handle = list(session.scalars(select(Ticket.id).where(
                Ticket.state.in_(WITH_DEPARTMENT), Ticket.overdue.is_(False), Ticket.handle_due_at < now)))
        delivered: list[int] = []

        def act(ticket_id: int, event: Event, still_due: Callable[[Ticket], bool], **params) -> bool:
            with session_scope(factory) as session:
                effects.bind(session, lambda _name, nid: delivered.append(nid))
                ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update()
                                        .execution_options(populate_existing=True))
                if ticket is None or not still_due(ticket):
                    return False  # another run or a clerk got there first
                transition(session, ticket, event, SYSTEM, params=params, now=now,
                           policy=load_policy(session, timezone))
                return True

        for ticket_id in remind:
            done["reminded"] += act(ticket_id, Event.remind_accept, lambda t: _reminder_due(t, now))
        for ticket_id in late_accept:
            done["escalated"] += act(ticket_id, Event.escalate, lambda t: t.state is TicketState.dispatched
                                     and not t.accept_overdue and t.accept_due_at < now, kind="accept")
        for ticket_id in late_handle:
            done["escalated"] += act(ticket_id, Event.escalate, lambda t: t.state in WITH_DEPARTMENT
                                     and not t.overdue and t.handle_due_at < now, kind="handle")
        for notification_id in delivered:
            with session_scope(factory) as session:
                done["delivered"] += notifications.deliver(session, notification_id)
    if done["reminded"] or done["escalated"]:
        log.info("deadline watch: %(reminded)d accept reminders, %(escalated)d escalations", done)
    return done


def _accept_reminders_due(session: Session, now: dt.datetime) -> list[Ticket]:
    candidates = session.scalars(select(Ticket).where(
        Ticket.state == TicketState.dispatched, Ticket.accept_reminded_at.is_(None),
        Ticket.accept_overdue.is_(False), Ticket.accept_due_at > now,
        Ticket.accept_due_at <= now + REMIND_LEAD_MAX))
    return [t for t in candidates if _reminder_due(t, now)]


def _reminder_due(ticket: Ticket, now: dt.datetime) -> bool:
    if ticket.state is not TicketState.dispatched or ticket.accept_reminded_at or ticket.accept_due_at is None:
        return False
    if now >= ticket.accept_due_at:
        return False  # too late for a reminder: escalation takes over
    start = ticket.dispatched_at or ticket.created_at
    lead = min(REMIND_LEAD_MAX, (ticket.accept_due_at - start) / 2)
    return now >= ticket.accept_due_at - lead


def deliver_notification(database_url: str, notification_id: int) -> bool:
    """After-commit effect of ``notifications.notify``."""
    with _sessions(database_url) as factory, session_scope(factory) as session:
        return notifications.deliver(session, notification_id)


def deliver_pending(database_url: str, now: dt.datetime | None = None, grace_seconds: int = 60) -> int:
    """Sweep: deliver notifications whose after-commit job never ran (Redis was down)."""
    now = now or utcnow()
    delivered = 0
    with _sessions(database_url) as factory:
        with factory() as session:
            ids = notifications.undelivered_ids(session, now - dt.timedelta(seconds=grace_seconds))
        for notification_id in ids:
            with session_scope(factory) as session:
                delivered += notifications.deliver(session, notification_id, now=now)
    return delivered


def watch_now() -> dict[str, int]:
    """The periodic entry point (ops.scheduler.PERIODIC): this process's settings."""
    settings = current_settings()
    done = watch_deadlines(settings.database_url, timezone=settings.timezone)
    done["swept"] = deliver_pending(settings.database_url)
    return done
