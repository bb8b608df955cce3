"""Open311 GeoReport v2 in the hotline's terms: services are leaf topics, requests are tickets.

Who reads what (公开范围, the README's "Open311 privacy"):

- anonymous readers list and look up only *public* requests: submitted by a
  channel with ``attribute[public]=true``, not confidential, never phone
  intake; they see only the public fields, the department's reply only once
  the centre published it (``reply_published``);
- the token given at submission looks up that one request (status only,
  unless it is public), so ticket numbers cannot be walked;
- a channel's api_key reads the requests that channel submitted.

No answer ever carries personal data (name, phone, e-mail). Field names of
errors are Open311's, so a client can tell which parameter was wrong.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ApiClient, Department, DepartmentKind, Ticket, TicketCategory, TicketChannel, Topic
from tickets.context import Actor, record_act
from tickets.labels import CATEGORY, label
from tickets.serialize import iso
from tickets.states import OPEN_STATES

PUBLIC, TOKEN, OWNER = "public", "token", "owner"  # the views of a request

# our field → the Open311 parameter it came from
PARAMETER_OF = {"caller_phone": "phone", "caller_email": "email", "caller_name": "last_name", "topic": "service_code",
                "latitude": "lat", "longitude": "long", "address": "address_string", "description": "description",
                "category": "attribute[category]", "confidential": "attribute[confidential]",
                "district": "attribute[district]", "channel": "api_key", "urgency": "attribute[urgency]",
                "public": "attribute[public]"}
TRUE = {"true", "1", "yes"}


def services(session: Session) -> list[Topic]:
    """Active leaf topics under active parents."""
    topics = session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.code))
    return [t for t in topics if not t.children and (t.parent is None or t.parent.active)]


def service_dict(topic: Topic) -> dict:
    return {"service_code": topic.code, "service_name": topic.name,
            "description": topic.description or topic.name_en or topic.name, "metadata": True, "type": "realtime",
            "keywords": topic.keywords or "", "group": topic.parent.name if topic.parent else ""}


def definition(session: Session, topic: Topic) -> dict:
    districts = session.scalars(select(Department).where(Department.kind == DepartmentKind.district)
                                .order_by(Department.code))
    return {"service_code": topic.code, "attributes": [
        {"variable": True, "code": "category", "datatype": "singlevaluelist", "required": True, "order": 1,
         "datatype_description": "", "description": "诉求类别 Kind of request",
         "values": [{"key": c.value, "name": CATEGORY[c]} for c in TicketCategory]},
        {"variable": True, "code": "district", "datatype": "singlevaluelist", "required": False, "order": 2,
         "datatype_description": "", "description": "所在区 District",
         "values": [{"key": d.code, "name": d.name} for d in districts]},
        {"variable": True, "code": "confidential", "datatype": "singlevaluelist", "required": False, "order": 3,
         "datatype_description": "", "description": "保密: keep my name and number from the department",
         "values": [{"key": "false", "name": "否 no"}, {"key": "true", "name": "是 yes"}]},
        {"variable": True, "code": "public", "datatype": "singlevaluelist", "required": False, "order": 4,
         "datatype_description": "", "description": "公开: anyone may read this request and its published reply",
         "values": [{"key": "false", "name": "否 no"}, {"key": "true", "name": "是 yes"}]},
    ]}


def draft_from_request(form: Mapping[str, str], channel: str) -> tuple[dict, dict[str, str]]:
    """(intake data, Open311 errors) from POST requests parameters."""
    errors: dict[str, str] = {}
    if not form.get("service_code"):
        errors["service_code"] = "required"
    has_point = form.get("lat") not in (None, "") and form.get("long") not in (None, "")
    if not (has_point or form.get("address_string") or form.get("address_id")):
        errors["location"] = "required: lat and long, or address_string, or address_id"
    if form.get("address_id") and not form.get("address_string") and not has_point:
        errors["address_id"] = "address ids are not used here: send address_string or lat and long"
    description = (form.get("description") or "").strip()
    if form.get("media_url"):
        description = f"{description}\n附件 media: {form['media_url']}".strip()
    name = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip()
    data = {"channel": channel, "topic": form.get("service_code"), "category": form.get("attribute[category]"),
            "district": form.get("attribute[district]"), "confidential": form.get("attribute[confidential]"),
            "caller_name": name or None, "caller_phone": form.get("phone") or None,
            "caller_email": form.get("email") or None, "address": form.get("address_string") or None,
            "latitude": form.get("lat"), "longitude": form.get("long"), "description": description}
    public = str(form.get("attribute[public]") or "false").strip().lower()
    if public not in TRUE | {"false", "0", "no"}:
        errors["attribute[public]"] = "true or false"
    data["public"] = public in TRUE
    return data, errors


def submitter(client: ApiClient) -> str:
    """``created_by`` of the tickets a channel client submits."""
    return f"open311:{client.name}"


def mark_public(ticket: Ticket, wanted: bool) -> None:
    """A channel's request is public when it asked for it; never a phone intake or a confidential one."""
    ticket.public = bool(wanted) and ticket.channel is not TicketChannel.phone and not ticket.confidential


def publicly_readable():
    """SQL condition: what anonymous readers may see."""
    return (Ticket.public.is_(True)) & (Ticket.confidential.is_(False)) & (Ticket.channel != TicketChannel.phone)


def is_public(ticket: Ticket) -> bool:
    return ticket.public and not ticket.confidential and ticket.channel is not TicketChannel.phone


def owned_by(client: ApiClient):
    """SQL condition: the requests ``client`` submitted."""
    return Ticket.created_by == submitter(client)


def publish_reply(session: Session, ticket: Ticket, actor: Actor, published: bool = True) -> None:
    """The centre publishes (or withdraws) the department's reply for the public's eyes; audited."""
    if ticket.reply_published == published:
        return
    ticket.reply_published = published
    record_act(session, ticket, actor, "publish_reply" if published else "withdraw_reply")


def request_dict(ticket: Ticket, view: str = PUBLIC) -> dict:
    """One service request as this reader may see it (``PUBLIC``, ``TOKEN`` or the submitting ``OWNER``)."""
    closed = ticket.state not in OPEN_STATES
    details = view == OWNER or is_public(ticket)  # what the citizen wrote and where
    details = details and not ticket.confidential
    reply_shown = ticket.reply_published if view != OWNER else closed
    notes = label(ticket.state)
    if ticket.reply and reply_shown and not ticket.confidential:
        notes = f"{notes}: {ticket.reply}"
    if ticket.merged_into is not None and (view == OWNER or is_public(ticket.merged_into)):
        notes = f"{notes} → {ticket.merged_into.number}"
    return {
        "service_request_id": ticket.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": ticket.topic_ref.name if ticket.topic_ref else "",
        "service_code": ticket.topic_ref.code if ticket.topic_ref else "",
        "description": ticket.description if details else ("保密件 confidential" if ticket.confidential else ""),
        "agency_responsible": ticket.department.name if ticket.department else "12345",
        "service_notice": "",
        "requested_datetime": iso(ticket.created_at),
        "updated_datetime": iso(ticket.updated_at),
        "expected_datetime": iso(ticket.handle_due_at),
        "address": (ticket.address or "") if details else "",
        "address_id": "",
        "zipcode": "",
        "lat": ticket.latitude if details else None,
        "long": ticket.longitude if details else None,
        "media_url": "",
    }
