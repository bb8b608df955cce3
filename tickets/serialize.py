"""A ticket as JSON-able data for the REST API, as the given actor may see it."""
from __future__ import annotations

import datetime as dt

from db.models import Ticket, TicketEvent
from tickets.context import Actor
from tickets.labels import label
from tickets.privacy import citizen_for
from tickets.rights import available_events


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 / W3C date or date-time → naive UTC (no offset: taken as UTC); ValueError if it is none."""
    parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


def _department(department) -> dict | None:
    return {"code": department.code, "name": department.name} if department else None


def ticket_as_dict(ticket: Ticket, actor: Actor) -> dict:
    line = ticket.line
    return {
        "number": ticket.number,
        "version": ticket.version,
        "state": ticket.state.value, "state_label": label(ticket.state),
        "channel": ticket.channel.value,
        "category": ticket.category.value, "category_label": label(ticket.category),
        "urgency": ticket.urgency.value, "urgency_label": label(ticket.urgency),
        "topic": {"code": ticket.topic_ref.code, "path": ticket.topic} if ticket.topic_ref else None,
        "citizen": citizen_for(ticket, actor),
        "confidential": ticket.confidential,
        "do_not_call": ticket.do_not_call,
        "line": {"number": line.number, "name": line.name, "mode": line.mode.value,
                 "department": _department(line.department)} if line else None,
        "location": {"address": ticket.address, "district": _department(ticket.district),
                     "street": _department(ticket.street), "grid": ticket.grid,
                     "latitude": ticket.latitude, "longitude": ticket.longitude},
        "description": ticket.description,
        "department": _department(ticket.department),
        "co_departments": [_department(a.department) for a in ticket.co_assignments],
        "deadlines": {"accept_due_at": iso(ticket.accept_due_at), "handle_due_at": iso(ticket.handle_due_at),
                      "return_due_at": iso(ticket.return_due_at), "visit_due_at": iso(ticket.visit_due_at),
                      "estimated": ticket.deadline_estimated, "extension_days": ticket.extension_days},
        "flags": {"overdue": ticket.overdue, "accept_overdue": ticket.accept_overdue,
                  "supervised": ticket.supervised, "resolved_on_call": ticket.resolved_on_call},
        "created_at": iso(ticket.created_at), "created_by": ticket.created_by,
        "dispatched_at": iso(ticket.dispatched_at), "accepted_at": iso(ticket.accepted_at),
        "replied_at": iso(ticket.replied_at), "visited_at": iso(ticket.visited_at),
        "closed_at": iso(ticket.closed_at), "archived_at": iso(ticket.archived_at),
        "reply": ticket.reply,
        "satisfaction": ticket.satisfaction.value if ticket.satisfaction else None,
        "visit_resolved": ticket.visit_resolved,
        "call_rating": ticket.call_rating,
        "reopen_count": ticket.reopen_count,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "calls": [{"uniqueid": c.uniqueid, "arrived_at": iso(c.arrived_at), "dialed_number": c.dialed_number,
                   "has_recording": bool(c.recording_file)} for c in ticket.calls] if actor.role != "clerk" else [],
        "allowed_events": [e.value for e in available_events(ticket, actor)],
    }


def event_as_dict(event: TicketEvent) -> dict:
    return {"at": iso(event.at), "actor": event.actor, "actor_role": event.actor_role, "event": event.event,
            "event_label": label(event.event), "from_state": event.from_state, "to_state": event.to_state,
            "reason": event.reason, "detail": event.detail}
