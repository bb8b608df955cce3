"""The citizen's identity towards departments (保密): masked phone numbers, logged unmasking.

Departments see ``138****8000``. A clerk who must call the citizen back can
unmask the number of a ticket their department handles; that act is written to
the ticket's audit trail with the reason. A confidential ticket (保密件) never
shows the citizen's name or number to a department: the centre relays.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Ticket
from tickets.context import Actor, record_act
from tickets.errors import InvalidInput, NotAllowed
from tickets.rights import parties


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * (len(phone) - 2) + phone[-2:]


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def citizen_for(ticket: Ticket, actor: Actor) -> dict[str, str]:
    """What this actor may see of the citizen: the centre sees all, a department masked data."""
    if actor.role != "clerk":
        return {"name": ticket.caller_name or "", "phone": ticket.caller_phone or "",
                "email": ticket.caller_email or ""}
    if ticket.confidential:
        return {"name": "保密", "phone": "保密", "email": ""}
    return {"name": mask_name(ticket.caller_name), "phone": mask_phone(ticket.caller_phone), "email": ""}


def unmask_phone(session: Session, ticket: Ticket, actor: Actor, reason: str | None) -> str:
    """The full number for a clerk of a handling department; logged (查看号码)."""
    if actor.role != "clerk":
        raise NotAllowed("only department clerks unmask; the centre sees the number anyway")
    if not parties(ticket, actor):
        raise NotAllowed(f"ticket {ticket.number} is not handled by your department")
    if ticket.confidential:
        raise NotAllowed(f"ticket {ticket.number} is confidential (保密件): the citizen's number stays with "
                         "the centre; ask the centre to relay")
    if not (reason or "").strip():
        raise InvalidInput.of({"reason": "required: why you need the number (e.g. to call the citizen back)"})
    if not ticket.caller_phone:
        raise InvalidInput.of({"ticket": "this ticket has no phone number"})
    record_act(session, ticket, actor, "unmask_phone", reason.strip())
    return ticket.caller_phone
