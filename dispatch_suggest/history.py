"""The centre's own history as training examples: who accepted (签收), who returned (退单) or lost (改派) a ticket.

The loop records every dispatch as a 主办 ``TicketAssignment`` created by one
audited event (dispatch, redispatch or reopen: ``tickets.dispatching.assign``),
so the n-th primary assignment of a ticket belongs to its n-th such event, and
the events between it and the next one are what that department did with it:

* accepted (``accepted_at`` set) and never returned nor taken away → positive;
* returned (``return_to_center``) without the centre refusing the return
  (``reject_return``), or ended by a re-dispatch (改派) → negative for it.

A ticket still waiting for 签收 teaches nothing about its department yet.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AssignmentRole, Department, Ticket, TicketAssignment, TicketEvent, TicketState, Topic

ASSIGNING = ("dispatch", "redispatch", "reopen")   # events that create a 主办 assignment
SPAN_EVENTS = ASSIGNING + ("return_to_center", "reject_return", "merge")
UNTAUGHT_STATES = (TicketState.intake, TicketState.merged)  # not dispatched nor resolved, or a duplicate


@dataclass(frozen=True)
class Example:
    """One ticket as the model sees it."""

    description: str
    address: str | None
    topic: str | None                       # topic code
    department: str | None                  # code of the department that accepted it (None: not yet / 直办)
    not_departments: tuple[str, ...] = ()   # codes it was returned from or re-dispatched away from
    ticket_id: int | None = None


@dataclass
class _Span:
    department: str
    accepted: bool
    ended_by: str | None = None
    returned: bool = False
    return_refused: bool = False

    @property
    def negative(self) -> bool:
        return self.ended_by == "redispatch" or (self.returned and not self.return_refused)


def load_examples(session: Session, *, since: dt.datetime | None = None, limit: int = 100_000) -> list[Example]:
    """Training examples from the tickets created since ``since`` (newest first, at most ``limit``)."""
    query = (select(Ticket.id, Ticket.description, Ticket.address, Topic.code, Ticket.state)
             .outerjoin(Topic, Topic.id == Ticket.topic_id)
             .where(Ticket.state.not_in(UNTAUGHT_STATES))
             .order_by(Ticket.id.desc()).limit(limit))
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    tickets = session.execute(query).all()
    if not tickets:
        return []
    ids = [row[0] for row in tickets]
    low, high = min(ids), max(ids)
    assignments: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for ticket_id, code, accepted_at in session.execute(
            select(TicketAssignment.ticket_id, Department.code, TicketAssignment.accepted_at)
            .join(Department, Department.id == TicketAssignment.department_id)
            .where(TicketAssignment.role == AssignmentRole.primary,
                   TicketAssignment.ticket_id.between(low, high))
            .order_by(TicketAssignment.ticket_id, TicketAssignment.id)):
        assignments[ticket_id].append((code, accepted_at is not None))
    events: dict[int, list[str]] = defaultdict(list)
    for ticket_id, event in session.execute(
            select(TicketEvent.ticket_id, TicketEvent.event)
            .where(TicketEvent.event.in_(SPAN_EVENTS), TicketEvent.ticket_id.between(low, high))
            .order_by(TicketEvent.ticket_id, TicketEvent.id)):
        events[ticket_id].append(event)
    examples = []
    for ticket_id, description, address, topic, _state in tickets:
        spans = spans_of(assignments.get(ticket_id, []), events.get(ticket_id, []))
        negatives = tuple(dict.fromkeys(s.department for s in spans if s.negative))
        positive = next((s.department for s in reversed(spans) if s.accepted and not s.negative), None)
        examples.append(Example(description or "", address, topic, positive,
                                tuple(n for n in negatives if n != positive), ticket_id))
    return examples


def spans_of(assignments: list[tuple[str, bool]], events: list[str]) -> list[_Span]:
    """Pair the primary assignments with their assigning events and read what happened in between."""
    spans: list[_Span] = []
    assigning = iter(assignments)
    for event in events:
        if event in ASSIGNING:
            nxt = next(assigning, None)
            if nxt is None:
                break  # rows written outside the workflow: trust what was paired so far
            if spans:
                spans[-1].ended_by = event
            spans.append(_Span(*nxt))
        elif spans and event == "return_to_center":
            spans[-1].returned, spans[-1].return_refused = True, False
        elif spans and event == "reject_return":
            spans[-1].return_refused = True
        elif spans and event == "merge":
            spans[-1].ended_by = "merge"
    return spans
