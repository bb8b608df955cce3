"""Time limits (办理时限) by urgency, on the working-day calendar, configurable at run time.

Defaults are docs/domain.md §3; a centre changes one with a ``CentreSetting`` row
``tickets.deadline.<urgency>.<accept|handle>`` (or ``tickets.deadline.return`` /
``.visit``) holding a span: ``15m`` minutes, ``24h`` hours, ``5wd`` working days.
Minutes and hours run around the clock (特急 cannot wait for Monday); working
days follow the calendar in the centre's time zone. Stored times are UTC.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CentreSetting, TicketUrgency
from db.repositories import calendar as calendar_repo
from hotline.calendar import WorkCalendar
from tickets.errors import InvalidInput

log = logging.getLogger("tickets.deadlines")

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_EXTENSION_DAYS = 10  # 延期: at most 10 working days more in total
SETTING_PREFIX = "tickets.deadline."
_SPAN = re.compile(r"^\s*(\d{1,4})\s*(m|h|wd)\s*$")
UNIT_NAMES = {"m": "分钟 minutes", "h": "小时 hours", "wd": "个工作日 working days"}


@dataclass(frozen=True)
class Span:
    amount: int
    unit: str  # "m", "h" or "wd"

    @classmethod
    def parse(cls, text: str) -> "Span":
        match = _SPAN.match(text or "")
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"{text!r} is not a time limit: write e.g. 15m, 24h or 5wd")
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def describe(self) -> str:
        return f"{self.amount} {UNIT_NAMES[self.unit]}"


DEFAULT_SPANS: dict[str, Span] = {
    "critical.accept": Span(15, "m"), "critical.handle": Span(24, "h"),   # 特急
    "urgent.accept": Span(30, "m"), "urgent.handle": Span(3, "wd"),       # 紧急
    "normal.accept": Span(1, "wd"), "normal.handle": Span(5, "wd"),       # 一般
    "return": Span(2, "wd"),  # 退单 within 2 working days of dispatch
    "visit": Span(1, "wd"),   # 回访 within 1 working day after the reply is approved
}


@dataclass(frozen=True)
class Due:
    at: dt.datetime  # naive UTC
    estimated: bool  # the calendar did not know a year on the way: Monday–Friday was assumed


class DeadlinePolicy:
    def __init__(self, calendar: WorkCalendar | None = None, spans: dict[str, Span] | None = None,
                 timezone: str = DEFAULT_TIMEZONE):
        self.calendar = calendar or WorkCalendar()
        self.spans = {**DEFAULT_SPANS, **(spans or {})}
        self.zone = ZoneInfo(timezone)

    def span(self, urgency: TicketUrgency | str, kind: str) -> Span:
        return self.spans[f"{TicketUrgency(urgency).value}.{kind}"]

    def accept_due(self, urgency, start: dt.datetime) -> Due:
        return self.after(start, self.span(urgency, "accept"))

    def handle_due(self, urgency, start: dt.datetime) -> Due:
        return self.after(start, self.span(urgency, "handle"))

    def return_due(self, start: dt.datetime) -> Due:
        return self.after(start, self.spans["return"])

    def visit_due(self, start: dt.datetime) -> Due:
        return self.after(start, self.spans["visit"])

    def extend(self, due: dt.datetime, days: int) -> Due:
        """Move a deadline by ``days`` working days (延期)."""
        return self.after(due, Span(days, "wd"))

    def after(self, start: dt.datetime, span: Span) -> Due:
        """``span`` after ``start``; both naive UTC."""
        if span.unit == "m":
            return Due(start + dt.timedelta(minutes=span.amount), False)
        if span.unit == "h":
            return Due(start + dt.timedelta(hours=span.amount), False)
        local = self.to_local(start)
        due, estimated = self.calendar.add_working_days(local, span.amount)
        if estimated:
            log.warning("deadline %s working days after %s runs into a year the holiday calendar does not "
                        "know: counted Monday–Friday and flagged as estimated; enter that year's holidays "
                        "and make-up workdays (节假日调整) to fix it", span.amount, local.date())
        return Due(self.to_utc(due), estimated)

    def to_local(self, utc: dt.datetime) -> dt.datetime:
        return utc.replace(tzinfo=dt.timezone.utc).astimezone(self.zone).replace(tzinfo=None)

    def to_utc(self, local: dt.datetime) -> dt.datetime:
        return local.replace(tzinfo=self.zone).astimezone(dt.timezone.utc).replace(tzinfo=None)


def load_policy(session: Session, timezone: str = DEFAULT_TIMEZONE) -> DeadlinePolicy:
    """The policy with the admin's calendar overrides and time-limit settings from the database."""
    rows = session.execute(select(CentreSetting.key, CentreSetting.value)
                           .where(CentreSetting.key.startswith(SETTING_PREFIX))).all()
    spans = {}
    for key, value in rows:
        name = key[len(SETTING_PREFIX):]
        if name not in DEFAULT_SPANS:
            continue
        try:
            spans[name] = Span.parse(value)
        except ValueError:
            log.error("centre setting %s=%r is not a time limit; using the default %s",
                      key, value, DEFAULT_SPANS[name])
    return DeadlinePolicy(calendar_repo.work_calendar(session), spans, timezone)


def save_span(session: Session, name: str, text: str, by: str) -> Span:
    """Set one time limit (admin); a bad value is refused, never stored."""
    if name not in DEFAULT_SPANS:
        raise InvalidInput.of({"name": f"unknown time limit {name!r}; one of {', '.join(DEFAULT_SPANS)}"})
    try:
        span = Span.parse(text)
    except ValueError as exc:
        raise InvalidInput.of({name: str(exc)}) from None
    key = SETTING_PREFIX + name
    row = session.get(CentreSetting, key) or CentreSetting(key=key)
    row.value, row.updated_by = str(span), by
    session.add(row)
    return span
