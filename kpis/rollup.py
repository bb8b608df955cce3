"""KPI roll-ups (指标汇总): whole centre days' call and ticket sums, kept so a month or a year reads in milliseconds.

``kpis.rollup_build.roll(session, family, first, last)`` recomputes days into ``kpi_call_daily``
/ ``kpi_ticket_daily`` with the very SELECT the live KPIs use
(``kpis.calls.call_sums``, ``kpis.tickets.ticket_sums``), grouped by centre
day, hour, queue, line and department; it marks the days covered with the KPI
settings and UTC offset used. A KPI query (``plan``) then reads its covered,
clean days from the roll-up and every other day — today, a day whose rows
changed since (``kpi_dirty_days``, written by ``db.models.kpis`` in the same
transaction as the change), a day rolled with other settings — from the base
tables, and sums the parts. Tickets still waiting for a deadline are never in
the roll-up (their figures change with the clock): they are always counted live.

Slices and filters by agent (calls and tickets), topic or district (tickets)
read a second roll-up of the same days (``kpi_call_agent_daily``: day × agent
× queue; ``kpi_ticket_slice_daily``: day × one of topic, district, agent): one
of those dimensions, alone or with ``day``/``weekday`` (calls: and ``queue``),
as slice or filter. Any other mix (with ``hour``, ``line``, ``department``, or
two of them) reads the base tables: at that grain a roll-up row would be
nearly one call or ticket.

Written by ``kpis.rollup_build`` (the rq cron and ``hotline kpis rollup``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, cast, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Agent, Department, Line, Queue, Topic
from db.models.kpis import (
    CALL_SUMS,
    CALLS,
    TICKET_SUMS,
    TICKETS,
    KpiCallAgentDaily,
    KpiCallDaily,
    KpiDirtyDay,
    KpiRollupDay,
    KpiTicketDaily,
    KpiTicketSliceDaily,
)
from kpis.errors import InvalidInput
from kpis.period import CentreClock, Period
from kpis.settings import KpiSettings

FAMILIES = (CALLS, TICKETS)
ROLLED_DIMENSIONS = {CALLS: {"queue", "line", "department", "hour", "weekday", "day"},
                     TICKETS: {"line", "department", "hour", "weekday", "day"}}
TABLES = {CALLS: KpiCallDaily, TICKETS: KpiTicketDaily}
# the slice roll-ups: the finer dimension → the others it can be read with
SLICED_DIMENSIONS = {CALLS: {"agent": {"queue", "weekday", "day"}},
                     TICKETS: {"topic": {"weekday", "day"}, "district": {"weekday", "day"},
                               "agent": {"weekday", "day"}}}
SLICE_TABLES = {CALLS: KpiCallAgentDaily, TICKETS: KpiTicketSliceDaily}


@dataclass
class Plan:
    """Which days of a period are read from the roll-up (``rolled``) and which from the base tables (``base``)."""

    rolled: list[Period]
    base: list[Period]
    grain: str = ""     # "": the day × hour roll-up; a dimension (agent, topic, district): its slice roll-up

    @property
    def rolled_days(self) -> int:
        return sum((p.last - p.first).days + 1 for p in self.rolled)


def days_of_period(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def runs_of(days: list[dt.date], timezone: str) -> list[Period]:
    """Consecutive days as periods."""
    runs: list[Period] = []
    for day in sorted(days):
        if runs and runs[-1].last + dt.timedelta(days=1) == day:
            runs[-1] = Period(runs[-1].first, day, timezone)
        else:
            runs.append(Period(day, day, timezone))
    return runs


def setting_matches(family: str, settings: KpiSettings):
    if family == CALLS:
        return KpiRollupDay.short_abandon_seconds == settings.short_abandon_seconds
    return KpiRollupDay.repeat_days == settings.repeat_days


def covered_days(session: Session, family: str, period: Period, settings: KpiSettings) -> set[dt.date]:
    """Days of the period rolled up with these settings and this UTC offset, and not changed since."""
    rolled = set(session.scalars(select(KpiRollupDay.day).where(
        KpiRollupDay.family == family, KpiRollupDay.day.between(period.first, period.last),
        KpiRollupDay.offset_minutes == period.offset_minutes, setting_matches(family, settings))))
    if not rolled:
        return rolled
    dirty = set(session.scalars(select(KpiDirtyDay.day).where(
        KpiDirtyDay.family == family, KpiDirtyDay.day.between(period.first, period.last))))
    return rolled - dirty


def grain_of(family: str, by, filters: dict) -> str | None:
    """Which roll-up holds these slices and filters: "" the day × hour one, a dimension name its slice
    roll-up, None neither (the base tables answer)."""
    names = set(by) | set(filters)
    if names <= ROLLED_DIMENSIONS[family]:
        return ""
    for name, others in SLICED_DIMENSIONS[family].items():
        if name in names and names - {name} <= others:
            return name
    return None


def plan(session: Session, family: str, period: Period, by, filters: dict, settings: KpiSettings) -> Plan | None:
    """None when nothing of the query can come from the roll-up (a slice it does not hold, no day covered)."""
    grain = grain_of(family, by, filters)
    if grain is None:
        return None
    covered = covered_days(session, family, period, settings)
    if not covered:
        return None
    others = [d for d in days_of_period(period.first, period.last) if d not in covered]
    return Plan(runs_of(list(covered), period.timezone), runs_of(others, period.timezone), grain)


# --- reading --------------------------------------------------------------------------------------------

def _in_runs(column, runs: list[Period]):
    return or_(*(column.between(p.first, p.last) for p in runs))


def _weekday(clock: CentreClock, day_column):
    """0 = Sunday … 6 = Saturday of a DATE column, as ``CentreClock.weekday`` gives it."""
    if clock.dialect == "sqlite":
        return cast(func.strftime("%w", day_column), Integer)
    return cast(extract("dow", day_column), Integer)


def _slice(query, clock: CentreClock, table, by, filters: dict, family: str = CALLS):
    joins: dict = {}

    def department_code(name: str, column):
        """A department-like key (承办单位, 区县: both are departments), joined once under its own alias."""
        if name not in joins:
            alias = aliased(Department, name=f"rollup_{name}")
            joins[name] = (alias, alias.id == column)
        return joins[name][0].code

    def expr(name: str):
        if name == "agent" and family == CALLS:
            if "agent" not in joins:
                joins["agent"] = (Agent, Agent.id == table.agent_id)
            return Agent.number
        if name == "agent":
            return table.created_by
        if name == "topic":
            if "topic" not in joins:
                joins["topic"] = (Topic, Topic.id == table.topic_id)
            return Topic.code
        if name == "district":
            return department_code("district", table.district_id)
        if name == "queue":
            return table.queue_name
        if name == "line":
            if "line" not in joins:
                joins["line"] = (Line, Line.id == table.line_id)
            return Line.number
        if name == "department":
            return department_code("department", table.department_id)
        if name == "hour":
            return table.hour
        if name == "day":
            return table.day
        if name == "weekday":
            return _weekday(clock, table.day)
        raise InvalidInput.of({"by": f"{name} is not rolled up"})

    columns = [expr(name).label(f"d_{name}") for name in by]
    conditions = [expr(name) == value for name, value in filters.items()]
    for target, onclause in joins.values():
        query = query.outerjoin(target, onclause)
    if columns:
        query = query.add_columns(*columns).group_by(*columns)
    return query.where(*conditions)


def _total(column, name: str):
    return func.coalesce(func.sum(column), 0).label(name)


def call_rollup_counts(session: Session, clock: CentreClock, plan: Plan, by, filters: dict) -> list[dict]:
    t = SLICE_TABLES[CALLS] if plan.grain else KpiCallDaily
    sums = [func.max(t.wait_max).label("wait_max") if name == "wait_max" else _total(getattr(t, name), name)
            for name in CALL_SUMS]
    # wrap-up: the queue's wrap-up time per answered call, read now, as the live query does
    wrapup = _total(t.answered * func.coalesce(Queue.wrapup_seconds, 0), "wrapup_sum")
    query = select(*sums, wrapup).select_from(t).outerjoin(Queue, Queue.name == t.queue_name) \
        .where(_in_runs(t.day, plan.rolled))
    query = _slice(query, clock, t, by, filters)
    return [dict(row._mapping) for row in session.execute(query)]


def ticket_rollup_counts(session: Session, clock: CentreClock, plan: Plan, by, filters: dict) -> list[dict]:
    t = SLICE_TABLES[TICKETS] if plan.grain else KpiTicketDaily
    query = select(*(_total(getattr(t, name), name) for name in TICKET_SUMS)).select_from(t) \
        .where(_in_runs(t.day, plan.rolled))
    if plan.grain:
        query = query.where(t.dimension == plan.grain)
    query = _slice(query, clock, t, by, filters, TICKETS)
    return [dict(row._mapping) for row in session.execute(query)]


def merge(rows: list[dict], by, maxima: tuple[str, ...] = ()) -> list[dict]:
    """Rows of several parts summed per slice (maxima: the larger), in the shape ``call_counts`` gives."""
    from kpis.dimensions import normalise_key

    merged: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(normalise_key(name, row[f"d_{name}"]) for name in by)
        into = merged.get(key)
        if into is None:
            merged[key] = {**row, **{f"d_{n}": v for n, v in zip(by, key)}}
            continue
        for name, value in row.items():
            if name.startswith("d_"):
                continue
            if name in maxima:
                into[name] = value if into[name] is None else (into[name] if value is None
                                                               else max(into[name], value))
            else:
                into[name] = (into[name] or 0) + (value or 0)
    if not by and not merged:
        return [{}]
    return list(merged.values())
