"""Hotspots (热点): top topics and places over a window, spikes against the trailing weeks, repeat callers.

All in centre time: a window is whole centre days (``kpis.period.Period``).
Counts are tickets by the day they were created (受理); merged duplicates
(并单) are counted once, under the ticket they were merged into. Repeat callers
are counted from call records and never include a withheld number
(``hotline.caller_id``): "anonymous" is nobody in particular.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db.models import Call, Department, DepartmentKind, Ticket, Topic
from hotline.caller_id import WITHHELD, is_withheld
from kpis.period import Period
from reports.spikes import Spike, score

WEEKS = 4


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "count": self.count}


def _counted():
    """Tickets that count: not merged into another (the survivor carries the matter)."""
    return Ticket.merged_into_id.is_(None)


def _dimension(by: str):
    """(key column, label column, join target, join condition) of a hotspot dimension."""
    if by == "topic":
        return Topic.code, Topic.name, Topic, Ticket.topic_id == Topic.id
    if by in ("district", "street"):
        place = aliased(Department)
        column = Ticket.district_id if by == "district" else Ticket.street_id
        return place.code, place.name, place, column == place.id
    raise ValueError(f"no hotspot dimension {by!r}: topic, district or street")


def counts(session: Session, period: Period, by: str) -> dict[str, Count]:
    key, label, target, on = _dimension(by)
    start, end = period.utc_bounds()
    rows = session.execute(select(key, label, func.count(Ticket.id)).join(target, on)
                           .where(Ticket.created_at >= start, Ticket.created_at < end, _counted())
                           .group_by(key, label))
    return {k: Count(k, name, n) for k, name, n in rows}


def top(session: Session, period: Period, by: str, limit: int = 10) -> list[Count]:
    """The ``limit`` busiest topics (or districts, streets) of the period, busiest first, ties by key."""
    return sorted(counts(session, period, by).values(), key=lambda c: (-c.count, c.key))[:limit]


def spikes(session: Session, day: dt.date, timezone: str, by: str = "topic", *, weeks: int = WEEKS,
           min_count: int = 3, alpha: float = 0.01) -> list[Spike]:
    """Each topic (place) of ``day`` against the same weekday of the ``weeks`` weeks before; most unusual first."""
    today = counts(session, Period(day, day, timezone), by)
    before = [counts(session, Period(d, d, timezone), by)
              for d in (day - dt.timedelta(weeks=w) for w in range(1, weeks + 1))]
    labels = {k: c.label for week in (today, *before) for k, c in week.items()}
    scored = [score(k, labels[k], today[k].count if k in today else 0,
                    [week[k].count if k in week else 0 for week in before], min_count=min_count, alpha=alpha)
              for k in today]
    return sorted(scored, key=lambda s: (s.p, -s.today, s.key))


@dataclass(frozen=True)
class RepeatCaller:
    caller: str
    calls: int
    first: dt.datetime
    last: dt.datetime

    def as_dict(self) -> dict:
        return {"caller": self.caller, "calls": self.calls, "first": self.first.isoformat(),
                "last": self.last.isoformat()}


def repeat_callers(session: Session, period: Period, *, min_calls: int = 3, limit: int = 50) -> list[RepeatCaller]:
    """Numbers that called at least ``min_calls`` times in the period, most calls first; withheld numbers never."""
    start, end = period.utc_bounds()
    rows = session.execute(
        select(Call.caller, func.count(Call.id), func.min(Call.arrived_at), func.max(Call.arrived_at))
        .where(Call.arrived_at >= start, Call.arrived_at < end,
               func.lower(func.trim(Call.caller)).not_in(sorted(WITHHELD)))
        .group_by(Call.caller).having(func.count(Call.id) >= min_calls)
        .order_by(func.count(Call.id).desc(), Call.caller))
    out = []
    for caller, n, first, last in rows:
        if is_withheld(caller):  # the spellings SQL cannot see (sip:anonymous@…, 0000…)
            continue
        out.append(RepeatCaller(caller, n, first, last))
        if len(out) == limit:
            break
    return out


def district_density(session: Session, period: Period) -> list[Count]:
    """Tickets per district of the period (the map's colours), every district listed, none → 0."""
    found = counts(session, period, "district")
    districts = session.execute(select(Department.code, Department.name)
                                .where(Department.kind == DepartmentKind.district).order_by(Department.code))
    return [Count(code, name, found[code].count if code in found else 0) for code, name in districts]
