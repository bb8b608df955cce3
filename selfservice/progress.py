"""Ticket progress by phone (工单查询): which tickets a caller may hear, and what is said about each.

The caller's own tickets are found by caller ID — open ones, and those answered
in the last ``RECENT_DAYS`` — never for a withheld number (隐藏号码), which is
nobody in particular. A keyed ticket number that is confidential (保密) is read
only to the ticket's own number or after its query code (查询码).

What is said is a list of ``Say`` steps the AGI side turns into STREAM FILE /
SAY DIGITS / SAY NUMBER / SAY DATE, so the wording is tested without Asterisk.
"""
from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Call, Ticket, TicketQuery, TicketState
from db.models.tickets import OPEN_STATES, QUERY_CODE_DIGITS  # noqa: F401 (the handler reads it here)
from db.repositories import tickets as ticket_repo
from hotline.caller_id import WITHHELD, is_withheld

RECENT_DAYS = 30          # "recently answered": replied or closed within this many days
LOOKBACK_DAYS = 365       # tickets older than this are not looked up by caller ID
MAX_OWN_TICKETS = 3       # read at most this many (newest first); the rest an agent can tell
NUMBER_PREFIX = "GD"
KEYED_NUMBER = re.compile(r"\d{14}")   # the digits of GD<yyyymmdd><6-digit sequence>
FOUND_BY_CALLER_ID, FOUND_BY_KEYED = "caller_id", "keyed"
# query-code guessing (查询码): after this many wrong codes from one number in one (centre) day, no
# more code attempts that day; all withheld numbers share one count (an agent still answers them)
WRONG_CODES_PER_DAY = 3

_S = TicketState
# state → prompt fragment (ivr/prompts/<lang>.yaml: progress-state-*)
STATE_PROMPTS = {
    _S.intake: "progress-state-intake",
    _S.dispatched: "progress-state-handling", _S.accepted: "progress-state-handling",
    _S.extension_requested: "progress-state-extended",
    _S.returned: "progress-state-redispatch",
    _S.replied: "progress-state-replied", _S.awaiting_visit: "progress-state-replied",
    _S.visited: "progress-state-replied",
    _S.closed: "progress-state-closed", _S.archived: "progress-state-closed",
    _S.merged: "progress-state-merged",
}
WITH_DEPARTMENT = {_S.dispatched, _S.accepted, _S.extension_requested, _S.replied, _S.awaiting_visit,
                   _S.visited, _S.closed, _S.archived}
DEADLINE_RUNS = {_S.dispatched, _S.accepted, _S.extension_requested}


@dataclass(frozen=True)
class Say:
    """One step of what the caller hears: kind "prompt" | "digits" | "number" | "date"."""

    kind: str
    value: str


def own_tickets(session: Session, caller: str | None, now: dt.datetime) -> list[Ticket]:
    """The caller's open and recently answered tickets, newest first; none for a withheld number."""
    if is_withheld(caller):
        return []
    recent = now - dt.timedelta(days=RECENT_DAYS)
    found = []
    for ticket in ticket_repo.tickets_of_caller(session, caller.strip(), now - dt.timedelta(days=LOOKBACK_DAYS),
                                                limit=50):
        if ticket.state is _S.merged:
            continue
        answered_at = ticket.closed_at or ticket.replied_at
        if ticket.state in OPEN_STATES or (answered_at is not None and answered_at >= recent):
            found.append(ticket)
    return found[:MAX_OWN_TICKETS]


def keyed_ticket(session: Session, digits: str) -> Ticket | None:
    """The ticket whose number's digits the caller keyed, or None (wrong length or no such ticket)."""
    digits = (digits or "").strip().rstrip("#")
    if not KEYED_NUMBER.fullmatch(digits):
        return None
    return ticket_repo.by_number(session, NUMBER_PREFIX + digits)


def is_own(ticket: Ticket, caller: str | None) -> bool:
    """The ticket was opened from (or written down with) the caller's number."""
    if is_withheld(caller):
        return False
    caller = caller.strip()
    return ticket.caller_phone == caller or any(c.caller == caller for c in ticket.calls)


def needs_code(ticket: Ticket, caller: str | None) -> bool:
    """A confidential ticket asked about from another (or a withheld) number needs its query code."""
    return ticket.confidential and not is_own(ticket, caller)


def code_matches(ticket: Ticket, keyed: str) -> bool:
    keyed = (keyed or "").strip().rstrip("#")
    return bool(ticket.query_code) and bool(keyed) and hmac.compare_digest(keyed, ticket.query_code)


def speech(ticket: Ticket, language: str, *, timezone: str, department_prompt=None) -> list[Say]:
    """What the caller hears about ``ticket``: its number's last digits, state, department, deadline.

    ``department_prompt(department)`` gives the prompt that speaks a department's name (or None
    when there is none: the department is then not named).
    """
    steps = [Say("prompt", "progress-ticket"), Say("digits", ticket.number[-6:]),
             Say("prompt", "progress-ticket-state"), Say("prompt", STATE_PROMPTS[ticket.state])]
    if ticket.department is not None and ticket.state in WITH_DEPARTMENT and department_prompt is not None:
        name = department_prompt(ticket.department)
        if name:
            steps += [Say("prompt", "progress-department"), Say("prompt", name)]
    if ticket.state in DEADLINE_RUNS and ticket.handle_due_at is not None:
        due = ticket.handle_due_at.replace(tzinfo=dt.timezone.utc)
        local = due.astimezone(ZoneInfo(timezone))
        steps.append(Say("prompt", "progress-deadline"))
        if language == "zh":   # 12月5日: Asterisk's zh SAY DATE is not Mandarin; numbers are
            steps += [Say("number", str(local.month)), Say("prompt", "progress-month"),
                      Say("number", str(local.day)), Say("prompt", "progress-day")]
        else:
            noon = local.replace(hour=12, minute=0, second=0, microsecond=0)   # the date, whatever the zone
            steps.append(Say("date", str(int(noon.timestamp()))))
    return steps


def record_query(session: Session, call: Call | None, ticket: Ticket, found_by: str, granted: bool,
                 now: dt.datetime, wrong_codes: int = 0) -> None:
    """The call record says which tickets were asked about (ticket_queries), and how many wrong codes."""
    if call is None:
        return
    session.add(TicketQuery(call_id=call.id, ticket_id=ticket.id, ticket_number=ticket.number,
                            found_by=found_by, granted=granted, at=now, wrong_codes=wrong_codes))


def wrong_codes_today(session: Session, caller: str | None, now: dt.datetime, *, timezone: str) -> int:
    """Wrong query codes keyed from ``caller``'s number since the centre's midnight (``now`` naive UTC)."""
    local_midnight = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    since = local_midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if is_withheld(caller):   # the usual spellings of "no number" (hotline.caller_id.WITHHELD), as one number
        same_number = or_(Call.caller.is_(None), func.lower(func.trim(Call.caller)).in_(sorted(WITHHELD)))
    else:
        same_number = Call.caller == caller.strip()
    total = session.scalar(
        select(func.coalesce(func.sum(TicketQuery.wrong_codes), 0))
        .join(Call, Call.id == TicketQuery.call_id)
        .where(TicketQuery.at >= since, same_number))
    return int(total or 0)


def code_attempts_left(session: Session, caller: str | None, now: dt.datetime, *, timezone: str) -> int:
    return max(0, WRONG_CODES_PER_DAY - wrong_codes_today(session, caller, now, timezone=timezone))


def queried_numbers(session: Session, call_id: int) -> list[str]:
    return [q.ticket_number for q in session.query(TicketQuery).filter_by(call_id=call_id).order_by(TicketQuery.id)]
