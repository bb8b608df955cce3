"""Who acts on a ticket and what an event's action works with; the audit row every act leaves.

Below ``workflow`` and ``actions``: the actions fill a ``Context``, ``workflow.transition``
builds it and writes the audit row (工单流转记录) in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from db.models import Ticket, TicketEvent, TicketState
from db.session import utcnow
from tickets.deadlines import DeadlinePolicy
from tickets.errors import InvalidInput
from tickets.states import Event


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
