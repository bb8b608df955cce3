"""Intake (受理): one way to create a ticket, whatever the channel (phone, web, SMS, WeChat, mailbox).

``create_ticket`` validates every field at once and refuses with the list of
what is wrong and why (``InvalidInput.fields``), so a form or an API client
can show it next to the input; nothing is half-created.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Call,
    Department,
    DepartmentKind,
    Line,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketState,
    TicketUrgency,
    Topic,
)
from db.models.tickets import QUERY_CODE_DIGITS
from db.session import utcnow
from tickets.context import Actor, audit
from tickets.deadlines import DEFAULT_TIMEZONE
from tickets.errors import InvalidInput
from tickets.labels import CATEGORY, URGENCY
from tickets.numbering import next_number

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{1,22}[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE = {"1", "true", "yes", "on", "y", "是"}
FALSE = {"", "0", "false", "no", "off", "n", "否"}
LIMITS = {"caller_name": 64, "address": 255, "grid": 64, "description": 4000}


def create_ticket(session: Session, data: Mapping[str, Any], actor: Actor, *, calls: Iterable[Call] = (),
                  now: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE) -> Ticket:
    """A new ticket in state intake, with its calls linked and the 受理 audit row; flushes."""
    values, errors = validate(session, data)
    calls = list(calls)
    if values.get("line") is None and calls and calls[0].line is not None:
        values["line"] = calls[0].line
    if errors:
        raise InvalidInput.of(errors)
    now = now or utcnow()
    topic: Topic = values["topic_ref"]
    local_day = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone)).date()
    ticket = Ticket(number=next_number(session, local_day),
                    state=TicketState.intake, created_by=actor.username, created_at=now, updated_at=now,
                    topic=topic.path, public_token=secrets.token_urlsafe(18), query_code=new_query_code(),
                    **values)
    ticket.calls.extend(calls)
    # 一次一评 already keyed (a ticket written after the call); a later rating is copied by the AGI
    ticket.call_rating = next((c.rating for c in calls if c.rating is not None), None)
    session.add(ticket)
    session.flush()
    audit(session, ticket, actor, "create", None, TicketState.intake, None,
          f"{ticket.channel.value}" + (f" via {ticket.line.number}" if ticket.line else ""), now)
    return ticket


def new_query_code() -> str:
    """查询码 told to the citizen at intake: it opens a confidential ticket by phone (工单查询)."""
    return f"{secrets.randbelow(10 ** QUERY_CODE_DIGITS):0{QUERY_CODE_DIGITS}d}"


def validate(session: Session, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(model values, {field: why}) for a ticket draft."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def text(name: str) -> str | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, str | int | float):
            errors[name] = "must be text"
            return None
        value = str(value).strip()
        if name in LIMITS and len(value) > LIMITS[name]:
            errors[name] = f"too long: at most {LIMITS[name]} characters"
        return value or None

    values["channel"] = choice(data.get("channel") or TicketChannel.phone.value, TicketChannel, {}, "channel",
                               errors)
    values["category"] = choice(data.get("category"), TicketCategory, CATEGORY, "category", errors)
    values["urgency"] = choice(data.get("urgency") or TicketUrgency.normal.value, TicketUrgency, URGENCY,
                               "urgency", errors)
    values["caller_name"] = text("caller_name")
    phone = text("caller_phone")
    if phone and not PHONE.match(phone):
        errors["caller_phone"] = f"{phone!r} is not a phone number (digits, optional + and -)"
    values["caller_phone"] = re.sub(r"[ \-]", "", phone) if phone else None
    email = text("caller_email")
    if email and not EMAIL.match(email):
        errors["caller_email"] = f"{email!r} is not an e-mail address"
    values["caller_email"] = email
    values["description"] = text("description") or ""
    if not values["description"] and "description" not in errors:
        errors["description"] = "required: what the citizen asks or reports (诉求内容)"
    values["address"], values["grid"] = text("address"), text("grid")
    values["confidential"] = flag(data.get("confidential"), "confidential", errors)
    values["do_not_call"] = flag(data.get("do_not_call"), "do_not_call", errors)   # 不接受回访电话
    values["topic_ref"] = topic(session, text("topic"), errors)
    values["line"] = line(session, text("line"), errors)
    values["district"], values["street"] = place(session, text("district"), text("street"), errors)
    values["latitude"], values["longitude"] = coordinates(data.get("latitude"), data.get("longitude"), errors)
    return values, errors


def choice(value, enum_cls, chinese: dict, name: str, errors: dict[str, str]):
    if value in (None, ""):
        errors[name] = f"required: one of {', '.join(enum_cls)}"
        return None
    text = str(value).strip()
    for member, label in chinese.items():
        if text == label:
            return member
    try:
        return enum_cls(text)
    except ValueError:
        errors[name] = f"{text!r} is not one of {', '.join(enum_cls)}"
        return None


def flag(value, name: str, errors: dict[str, str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text not in FALSE:
        errors[name] = f"{value!r} is not true or false"
    return False


def topic(session: Session, code: str | None, errors: dict[str, str]) -> Topic | None:
    if not code:
        errors["topic"] = "required: a topic code of the classification tree (诉求分类)"
        return None
    found = session.scalar(select(Topic).where(Topic.code == code))
    if found is None or not found.active:
        errors["topic"] = f"unknown topic {code!r}"
    elif any(child.active for child in found.children):
        errors["topic"] = f"{code!r} is a group: choose one of its topics ({', '.join(c.code for c in found.children)})"
    return found


def line(session: Session, number: str | None, errors: dict[str, str]) -> Line | None:
    if not number:
        return None
    found = session.scalar(select(Line).where(Line.number == number))
    if found is None:
        errors["line"] = f"unknown line {number!r}: give the number the citizen dialed, or leave it out"
    return found


def place(session: Session, district_code: str | None, street_code: str | None,
          errors: dict[str, str]) -> tuple[Department | None, Department | None]:
    district = street = None
    if district_code:
        district = session.scalar(select(Department).where(Department.code == district_code))
        if district is None or district.kind is not DepartmentKind.district:
            errors["district"] = f"unknown district {district_code!r}"
            district = None
    if street_code:
        street = session.scalar(select(Department).where(Department.code == street_code))
        if street is None or street.kind is not DepartmentKind.street:
            errors["street"] = f"unknown street {street_code!r}"
            street = None
        elif district is None and "district" not in errors:
            district = street.parent
        elif district is not None and street.parent_id != district.id:
            errors["street"] = f"{street_code} is not in district {district.code}"
    return district, street


def coordinates(lat, long, errors: dict[str, str]) -> tuple[float | None, float | None]:
    if lat in (None, "") and long in (None, ""):
        return None, None
    result = []
    for name, value, bound in (("latitude", lat, 90), ("longitude", long, 180)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            errors[name] = "required with the other coordinate" if value in (None, "") else \
                f"{value!r} is not a number"
            result.append(None)
            continue
        if not -bound <= number <= bound:
            errors[name] = f"must be between -{bound} and {bound}"
        result.append(number)
    return result[0], result[1]
