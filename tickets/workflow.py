"""The one function that moves a ticket: ``transition``.

It checks the actor's right, the row version and the declared table
(``tickets.states``), lets the event's action validate its input and change
the ticket, and writes the audit row (工单流转记录) in the same transaction.
Notifications are written as rows here and delivered after commit. The caller
owns the transaction: on any ``TicketError`` it rolls back.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import Ticket, TicketEvent, TicketState
from db.session import utcnow
from tickets import notifications
from tickets.deadlines import DeadlinePolicy, load_policy
from tickets.errors import IllegalTransition, InvalidInput, NotAllowed, TicketConflict
from tickets.labels import label
from tickets.states import RIGHTS, TRANSITIONS, Event, Party, events_from


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (username, role, department) or the system's jobs."""

    username: str
    role: str
    department_id: int | None = None

    @classmethod
    def of(cls, user) -> "Actor":
        return cls(user.username, getattr(user.role, "value", user.role), user.department_id)


SYSTEM = Actor("system", "system")


def parties(ticket: Ticket, actor: Actor) -> set[Party]:
    """The parts ``actor`` plays for this ticket (a clerk's depends on its department's role)."""
    if actor.role != "clerk":
        return {Party(actor.role)}
    found = set()
    if actor.department_id is not None and actor.department_id == ticket.department_id:
        found.add(Party.primary_clerk)
    if any(a.department_id == actor.department_id for a in ticket.co_assignments):
        found.add(Party.co_clerk)
    return found


def may(ticket: Ticket, actor: Actor, event: Event) -> bool:
    return bool(parties(ticket, actor) & RIGHTS[event])


def available_events(ticket: Ticket, actor: Actor) -> list[Event]:
    """What this actor can do to this ticket now (for the buttons on a page)."""
    return [e for e in events_from(ticket.state) if may(ticket, actor, e)]


@dataclass
class Context:
    """What an event's action works with; ``detail`` ends up in the audit row."""

    session: Session
    ticket: Ticket
    actor: Actor
    event: Event
    params: dict[str, Any]
    reason: str | None
    now: dt.datetime
    policy: DeadlinePolicy
    detail: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    outbox: list[tuple[str, str, dict]] = field(default_factory=list)  # written after the ticket's flush

    def text(self, name: str, *, required: bool = False, min_length: int = 1, max_length: int = 4000) -> str | None:
        value = self.params.get(name)
        value = value.strip() if isinstance(value, str) else value
        if not value:
            if required:
                self.errors[name] = "required"
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be text"
            return None
        if len(value) < min_length:
            self.errors[name] = f"too short: at least {min_length} characters"
        elif len(value) > max_length:
            self.errors[name] = f"too long: at most {max_length} characters"
        return value

    def require_reason(self, why: str = "required") -> None:
        if not self.reason:
            self.errors["reason"] = why

    def check(self) -> None:
        """Refuse the event with every field error at once (nothing was changed yet)."""
        if self.errors:
            raise InvalidInput.of(self.errors)

    def notify(self, kind: str, message: str, *, department_id: int | None = None, role: str | None = None,
               key: str | None = None) -> None:
        self.outbox.append((kind, f"{self.ticket.number} {message}",
                            {"department_id": department_id, "role": role, "key": key}))


def transition(session: Session, ticket: Ticket, event: Event | str, actor: Actor, *,
               reason: str | None = None, expected_version: int | None = None,
               params: dict[str, Any] | None = None, now: dt.datetime | None = None,
               policy: DeadlinePolicy | None = None) -> TicketEvent:
    """Apply ``event`` to ``ticket`` as ``actor``; returns the audit row. Flushes, never commits."""
    from tickets.actions import ACTIONS

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


def audit(session: Session, ticket: Ticket, actor: Actor, event: str, from_state: TicketState | None,
          to_state: TicketState | None, reason: str | None = None, detail: str | None = None,
          at: dt.datetime | None = None) -> TicketEvent:
    row = TicketEvent(ticket_id=ticket.id, at=at or utcnow(), actor=actor.username, actor_role=actor.role,
                      event=event, from_state=from_state, to_state=to_state, reason=reason, detail=detail)
    session.add(row)
    return row


def record_act(session: Session, ticket: Ticket, actor: Actor, act: str, reason: str | None = None,
               detail: str | None = None) -> TicketEvent:
    """An audited act that is no transition (查看号码 unmask_phone, 并入 merged_in)."""
    return audit(session, ticket, actor, act, ticket.state, ticket.state, reason, detail)
