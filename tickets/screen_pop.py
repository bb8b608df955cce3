"""The agent's screen pop (弹屏): the call the agent is on, who calls, and what they called about before.

A repeat caller (重复来电) is flagged so the agent looks at the earlier tickets
before writing a new one; similar open tickets (相似工单, 比对) let the agent
merge a duplicate instead of dispatching the same matter twice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Call, Ticket
from db.repositories import tickets as ticket_repo
from db.session import utcnow
from hotline.caller_id import is_withheld

REPEAT_DAYS = 30    # same caller again within this many days: 复重
HISTORY_DAYS = 180  # how far back the screen pop looks
SIMILAR_DAYS = 30


def current_call(session: Session, agent_id: int | None) -> Call | None:
    """The call the agent is on: answered by them and not ended (an ``unknown`` stale record has no end either)."""
    if agent_id is None:
        return None
    return session.scalar(select(Call).where(Call.agent_id == agent_id, Call.ended_at.is_(None),
                                             Call.outcome.is_(None))
                          .order_by(Call.answered_at.desc().nulls_last(), Call.id.desc()).limit(1))


@dataclass
class CallerHistory:
    phone: str
    calls: list[Call] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    repeat: bool = False
    repeat_reason: str = ""


def caller_history(session: Session, phone: str | None, *, exclude_call: Call | None = None,
                   now: dt.datetime | None = None) -> CallerHistory:
    history = CallerHistory(phone or "")
    if is_withheld(phone):  # anonymous, restricted, unknown...: never matched, never a repeat caller
        history.phone = ""
        return history
    now = now or utcnow()
    since = now - dt.timedelta(days=HISTORY_DAYS)
    history.calls = ticket_repo.calls_of_caller(session, phone, since, exclude_call.id if exclude_call else None)
    history.tickets = ticket_repo.tickets_of_caller(session, phone, since)
    recent = now - dt.timedelta(days=REPEAT_DAYS)
    calls = sum(c.arrived_at >= recent for c in history.calls)
    tickets = sum(t.created_at >= recent for t in history.tickets)
    if calls or tickets:
        history.repeat = True
        history.repeat_reason = f"{calls} earlier call(s) and {tickets} ticket(s) in the last {REPEAT_DAYS} days"
    return history


def similar_open_tickets(session: Session, *, topic_id: int | None = None, district_id: int | None = None,
                         street_id: int | None = None, address: str | None = None, exclude_id: int | None = None,
                         now: dt.datetime | None = None, limit: int = 10) -> list[tuple[Ticket, int]]:
    """Open tickets of the last 30 days scored by shared topic, place and address; best first.

    A topic alone is not similar (a city has many street-light tickets); topic
    plus the same street, or the same address, is.
    """
    since = (now or utcnow()) - dt.timedelta(days=SIMILAR_DAYS)
    candidates = ticket_repo.open_tickets_since(session, since, topic_id=topic_id, district_id=district_id,
                                                street_id=street_id)
    wanted = _address_key(address)
    scored = []
    for ticket in candidates:
        if ticket.id == exclude_id:
            continue
        score = 0
        score += 2 if topic_id is not None and ticket.topic_id == topic_id else 0
        if street_id is not None and ticket.street_id == street_id:
            score += 2
        elif district_id is not None and ticket.district_id == district_id:
            score += 1
        other = _address_key(ticket.address)
        if wanted and other and (wanted in other or other in wanted):
            score += 3
        if score >= 3:
            scored.append((ticket, score))
    scored.sort(key=lambda pair: (-pair[1], -pair[0].id))
    return scored[:limit]


def _address_key(address: str | None) -> str:
    """Address without spaces and punctuation; short fragments say nothing."""
    key = "".join(ch for ch in (address or "") if ch.isalnum())
    return key if len(key) >= 4 else ""
