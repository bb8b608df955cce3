"""The one function that moves a ticket: ``transition``.

It checks the actor's right, the row version and the declared table
(``tickets.states``), lets the event's action validate its input and change
the ticket, and writes the audit row (工单流转记录) in the same transaction.
Notifications are written as rows here and delivered after commit. The caller
owns the transaction: on any ``TicketError`` it rolls back.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import Ticket, TicketEvent
from db.session import utcnow
from tickets import notifications
from tickets.actions import ACTIONS
from tickets.context import Actor, Context, audit
from tickets.deadlines import DeadlinePolicy, load_policy
from tickets.errors import IllegalTransition, InvalidInput, NotAllowed, TicketConflict
from tickets.labels import label
from tickets.rights import may
from tickets.states import TRANSITIONS, Event, events_from


def transition(session: Session, ticket: Ticket, event: Event | str, actor: Actor, *,
               reason: str | None = None, expected_version: int | None = None,
               params: dict[str, Any] | None = None, now: dt.datetime | None = None,
               policy: DeadlinePolicy | None = None) -> TicketEvent:
    """Apply ``event`` to ``ticket`` as ``actor``; returns the audit row. Flushes, never commits."""
    try:
        event = Event(event)
    except ValueError:
        raise InvalidInput.of({"event": f"unknown event {event!r}; one of {', '.join(Event)}"}) from None
    if expected_version is not None and expected_version != ticket.version:
        raise TicketConflict(f"ticket {ticket.number} was changed by someone else since you opened it "
                             f"(it is now {label(ticket.state)} {ticket.state}); reload it and try again")
    target = TRANSITIONS.get((ticket.state, event))
    if target is None:
        possible = ", ".join(e.value for e in events_from(ticket.state)) or "nothing (final state)"
        raise IllegalTransition(f"cannot {event.value} ({label(event)}) ticket {ticket.number}: it is "
                                f"{ticket.state} ({label(ticket.state)}); possible now: {possible}")
    if not may(ticket, actor, event):
        raise NotAllowed(f"{actor.username} ({actor.role}) may not {event.value} ({label(event)}) "
                         f"ticket {ticket.number}")
    reason = str(reason).strip() if reason is not None else ""
    context = Context(session, ticket, actor, event, dict(params or {}), reason or None,
                      now or utcnow(), policy or load_policy(session))
    from_state = ticket.state
    with session.no_autoflush:  # one UPDATE per event: the row version moves by exactly one
        ACTIONS[event](context)
    ticket.state = target
    ticket.updated_at = context.now  # every event bumps the row version, even one that keeps the state
    row = audit(session, ticket, actor, event.value, from_state, target, context.reason, context.detail,
                context.now)
    number = ticket.number  # the row is expired when the flush fails
    try:
        session.flush()
    except StaleDataError:
        raise TicketConflict(f"ticket {number} was changed by someone else at the same moment; "
                             "reload it and try again") from None
    for kind, message, recipient in context.outbox:
        notifications.notify(session, ticket, kind, message, **recipient)
    return row
