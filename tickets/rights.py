"""Who may do what to a ticket: the parts an actor plays (主办/协办 clerk, reviewer...) and the
declared rights of ``tickets.states``."""
from __future__ import annotations

from db.models import Ticket
from tickets.context import Actor
from tickets.states import RIGHTS, Event, Party, events_from


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
