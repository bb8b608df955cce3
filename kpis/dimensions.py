"""What a KPI table can be sliced by (维度), and how each slice is read from the rows.

A dimension is a SQL expression (plus the outer joins it needs) for calls and
for tickets; the figures are then one GROUP BY over those expressions.
Calls have no topic or district (the ticket written about a call has);
tickets have no queue.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import aliased

from db.models import Agent, Call, Department, Line, Ticket, Topic
from kpis.errors import InvalidInput
from kpis.period import CentreClock

DIMENSIONS = {
    "queue": "队列 queue", "line": "号码 line (dialed number)", "department": "承办单位/号码归属 department",
    "topic": "诉求分类 topic", "district": "区县 district", "agent": "话务员 agent",
    "hour": "时段 hour (centre time)", "weekday": "星期 weekday (0 = Sunday)", "day": "日期 day (centre time)",
}
TIME_DIMENSIONS = ("hour", "weekday", "day")
CALL_DIMENSIONS = ("queue", "line", "department", "agent", *TIME_DIMENSIONS)
TICKET_DIMENSIONS = ("line", "department", "topic", "district", "agent", *TIME_DIMENSIONS)
FILTERS = ("queue", "line", "department", "topic", "district", "agent")
MAX_DIMENSIONS = 2


def parse_by(text: str | None) -> tuple[str, ...]:
    """``"weekday,hour"`` → ("weekday", "hour"); empty → the whole period as one row."""
    names = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown:
        raise InvalidInput.of({"by": f"{', '.join(map(repr, unknown))} is not a dimension; "
                                     f"one or two of {', '.join(DIMENSIONS)}"})
    if len(set(names)) != len(names):
        raise InvalidInput.of({"by": "a dimension is named twice"})
    if len(names) > MAX_DIMENSIONS:
        raise InvalidInput.of({"by": f"at most {MAX_DIMENSIONS} dimensions at once (e.g. weekday,hour)"})
    return names


@dataclass
class Slicer:
    """The GROUP BY columns and WHERE filters of one query, with the joins they need (each once)."""

    clock: CentreClock
    columns: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    joins: dict = field(default_factory=dict)   # name → (target, onclause), in order

    def join(self, name: str, target, onclause):
        self.joins.setdefault(name, (target, onclause))
        return target

    def apply(self, query, *, group: bool = True):
        """``group=False``: the slice columns on every row (per-row values, e.g. for a median)."""
        for target, onclause in self.joins.values():
            query = query.outerjoin(target, onclause)
        if self.columns:
            query = query.add_columns(*self.columns)
            if group:
                query = query.group_by(*self.columns)
        return query.where(*self.conditions)


def call_slicer(clock: CentreClock, by: Iterable[str], filters: dict[str, str], time_column) -> Slicer:
    s = Slicer(clock)

    def expr(name: str):
        if name == "queue":
            return Call.queue_name
        if name == "line":
            return s.join("line", Line, Line.id == Call.line_id).number
        if name == "department":
            if "department" not in s.joins:
                alias = aliased(Department, name="call_department")
                s.joins["department"] = (alias, alias.id == Call.department_id)
            return s.joins["department"][0].code
        if name == "agent":
            return s.join("agent", Agent, Agent.id == Call.agent_id).number
        return _time(clock, name, time_column)

    for name in by:
        if name not in CALL_DIMENSIONS:
            raise InvalidInput.of({"by": f"calls cannot be sliced by {name}"})
        s.columns.append(expr(name).label(f"d_{name}"))
    for name, value in filters.items():
        if name not in CALL_DIMENSIONS:
            raise InvalidInput.of({name: f"calls cannot be filtered by {name}"})
        s.conditions.append(expr(name) == value)
    return s


def ticket_slicer(clock: CentreClock, by: Iterable[str], filters: dict[str, str], time_column) -> Slicer:
    s = Slicer(clock)

    def dept(name: str, column):
        if name not in s.joins:
            alias = aliased(Department, name=f"ticket_{name}")
            s.joins[name] = (alias, alias.id == column)
        return s.joins[name][0].code

    def expr(name: str):
        if name == "line":
            return s.join("line", Line, Line.id == Ticket.line_id).number
        if name == "department":
            return dept("department", Ticket.department_id)
        if name == "district":
            return dept("district", Ticket.district_id)
        if name == "topic":
            return s.join("topic", Topic, Topic.id == Ticket.topic_id).code
        if name == "agent":
            return Ticket.created_by
        return _time(clock, name, time_column)

    for name in by:
        if name not in TICKET_DIMENSIONS:
            raise InvalidInput.of({"by": f"tickets cannot be sliced by {name}"})
        s.columns.append(expr(name).label(f"d_{name}"))
    for name, value in filters.items():
        if name not in TICKET_DIMENSIONS:
            raise InvalidInput.of({name: f"tickets cannot be filtered by {name}"})
        s.conditions.append(expr(name) == value)
    return s


def _time(clock: CentreClock, name: str, column):
    return {"hour": clock.hour, "weekday": clock.weekday, "day": clock.day}[name](column)


def normalise_key(name: str, value):
    """Keys as JSON gives them: days as 'YYYY-MM-DD', hours and weekdays as ints, codes as text."""
    if value is None:
        return None
    if name == "day":
        return value if isinstance(value, str) else value.isoformat()
    if name in ("hour", "weekday"):
        return int(value)
    return str(value)
