"""Business hours of a line (营业时间): when its own desk or sub-centre is staffed.

12345 itself is 7×24 with humans; hours only decide whether a line's special
handling (a sub-centre transfer, say) applies. The spec is text an admin can
edit: ``"mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00"``, or
``"workdays 09:00-17:00"`` for Chinese working days (make-up Saturdays count,
public holidays do not), or empty for always open.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache

from hotline.calendar import WorkCalendar

log = logging.getLogger(__name__)

PLAIN_CALENDAR = WorkCalendar()   # chinese-calendar without the admin's overrides

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = "workdays"   # the Chinese calendar's working days
DAILY = "daily"


class BadHours(ValueError):
    """An unreadable business-hours spec; the message says which part and why."""


@dataclass(frozen=True)
class Window:
    days: frozenset[int] | str     # weekday numbers (Mon=0), or WORKDAYS
    start: dt.time
    end: dt.time                   # exclusive; 24:00 is written as time.max

    def contains(self, when: dt.datetime, calendar: WorkCalendar) -> bool:
        if self.days == WORKDAYS:
            workday, estimated = calendar.is_workday(when.date())
            if estimated:
                _warn_unknown_year(when.year)
            if not workday:
                return False
        elif when.weekday() not in self.days:
            return False
        return self.start <= when.time() < self.end


@lru_cache(maxsize=256)
def parse(spec: str) -> tuple[Window, ...]:
    windows: list[Window] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days_text, _, ranges = part.partition(" ")
        if not ranges.strip():
            raise BadHours(f"{part!r}: expected '<days> HH:MM-HH:MM[,HH:MM-HH:MM]'")
        days = _days(days_text.lower(), part)
        for rng in ranges.replace(" ", "").split(","):
            start, sep, end = rng.partition("-")
            if not sep:
                raise BadHours(f"{part!r}: {rng!r} is not a time range like 08:30-12:00")
            windows.append(Window(days, _time(start, part), _time(end, part, end_of_day=True)))
    return tuple(windows)


def is_open(spec: str | None, when: dt.datetime, calendar: WorkCalendar = PLAIN_CALENDAR) -> bool:
    """True when ``when`` (local time) falls in the spec; no spec means always open.

    ``calendar`` decides "workdays": the same working-day calendar, with the
    admin's overrides, that ticket deadlines count on.
    """
    if not spec or not spec.strip():
        return True
    return any(w.contains(when, calendar) for w in parse(spec))


@lru_cache(maxsize=16)
def _warn_unknown_year(year: int) -> None:
    """Once per year and process, not once per call."""
    log.warning("chinese-calendar does not know %s yet: treating Mon-Fri as working days "
                "(enter that year's holidays as calendar overrides)", year)


def _days(text: str, part: str) -> frozenset[int] | str:
    if text == WORKDAYS:
        return WORKDAYS
    if text == DAILY:
        return frozenset(range(7))
    days: set[int] = set()
    for item in text.split(","):
        first, sep, last = item.partition("-")
        try:
            a = DAY_NAMES.index(first)
            b = DAY_NAMES.index(last) if sep else a
        except ValueError:
            raise BadHours(f"{part!r}: {item!r} is not a day (mon..sun, workdays, daily)") from None
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def _time(text: str, part: str, *, end_of_day: bool = False) -> dt.time:
    if end_of_day and text == "24:00":
        return dt.time.max
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise BadHours(f"{part!r}: {text!r} is not a time HH:MM") from None
