"""Call KPIs (话务指标) from the call records (来电记录), one GROUP BY per table.

Which calls count:
- a call belongs to the period (and hour, day) in which it joined a human
  queue; a call that never queued, at its arrival;
- only finished calls (``ended_at`` set) count: a call still ringing or talking
  is live, not history;
- offered (人工排队) = joined a human queue (``queue_joined_at`` set); answered =
  an agent picked it up (``answered_at``); abandoned = outcome ``abandoned``
  without an answer; short abandons (短时放弃) waited under the threshold.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Call, CallOutcome, Queue
from kpis.dimensions import call_slicer
from kpis.formulas import figure
from kpis.period import CentreClock, Period, without_jit
from kpis.settings import KpiSettings

DEFAULT_SERVICE_LEVEL = 15   # seconds, GB/T 33358
ARRIVAL_SLACK = dt.timedelta(days=1)  # a call joins its queue well within a day of arriving


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(condition, value):
    return func.coalesce(func.sum(case((condition, func.coalesce(value, 0)), else_=0)), 0)


def call_sums(clock: CentreClock, start: dt.datetime, end: dt.datetime, settings: KpiSettings):
    """Every call sum over calls of [start, end) as one unsliced SELECT, and the column the time slices read."""
    at = func.coalesce(Call.queue_joined_at, Call.arrived_at)
    queued = Call.queue_joined_at.isnot(None)
    answered = and_(queued, Call.answered_at.isnot(None))
    abandoned = and_(queued, Call.answered_at.is_(None), Call.outcome == CallOutcome.abandoned)
    wait = func.coalesce(Call.wait_seconds, 0)
    short = and_(abandoned, wait < settings.short_abandon_seconds)
    service_level = func.coalesce(Queue.service_level_seconds, DEFAULT_SERVICE_LEVEL)
    in_service_level = and_(answered, wait <= service_level)
    query = select(
        func.count(Call.id).label("received"),
        _count(queued).label("offered"),
        _count(answered).label("answered"),
        _count(abandoned).label("abandoned"),
        _count(short).label("short_abandoned"),
        _count(in_service_level).label("answered_in_sl"),
        _sum(queued, Call.wait_seconds).label("wait_sum"),
        _sum(answered, Call.wait_seconds).label("answered_wait_sum"),
        func.max(case((queued, Call.wait_seconds), else_=None)).label("wait_max"),
        _sum(answered, Call.talk_seconds).label("talk_sum"),
        _sum(answered, Queue.wrapup_seconds).label("wrapup_sum"),
        _count(and_(answered, Call.rating.isnot(None))).label("rated"),
        _count(and_(answered, Call.rating <= 2)).label("rated_satisfied"),
    ).select_from(Call).outerjoin(Queue, Queue.name == Call.queue_name).where(
        Call.ended_at.isnot(None),
        Call.arrived_at >= start - ARRIVAL_SLACK, Call.arrived_at < end,  # the indexed column narrows first
        at >= start, at < end,
    )
    return query, at


def call_counts(session: Session, period: Period, by: tuple[str, ...], filters: dict[str, str],
                settings: KpiSettings, *, rollup: bool = True) -> list[dict]:
    """The sums each call figure is built from, one dict per slice (``d_<dimension>`` keys).

    Whole days rolled up (``kpis.rollup``) are read from ``kpi_call_daily``; the other days (today, days
    changed since) from the call records. ``rollup=False`` reads every day from the call records.
    """
    from kpis import rollup as rollups

    clock = CentreClock(session.get_bind().dialect.name, period.offset_minutes)
    without_jit(session)
    plan = rollups.plan(session, rollups.CALLS, period, by, filters, settings) if rollup else None
    if plan is None:
        return _base_counts(session, clock, period, by, filters, settings)
    rows = [row for part in plan.base for row in _base_counts(session, clock, part, by, filters, settings)]
    rows += rollups.call_rollup_counts(session, clock, plan, by, filters)
    return rollups.merge(rows, by, maxima=("wait_max",))


def _base_counts(session, clock, period, by, filters, settings) -> list[dict]:
    start, end = period.utc_bounds()
    query, at = call_sums(clock, start, end, settings)
    query = call_slicer(clock, by, filters, at).apply(query)
    return [dict(row._mapping) for row in session.execute(query)]


def call_figures(c: dict) -> dict:
    """Figures of one slice from its sums (``c`` as ``call_counts`` gives it)."""
    c = _Zeroed(c)
    offered, answered = int(c["offered"]), int(c["answered"])
    short = int(c["short_abandoned"])
    real_offered = offered - short
    long_abandoned = int(c["abandoned"]) - short
    return {
        "received": figure("received", int(c["received"])),
        "offered": figure("offered", offered),
        "answered": figure("answered", answered),
        "answer_rate": figure("answer_rate", answered, real_offered),
        "sl_rate": figure("sl_rate", int(c["answered_in_sl"]), answered),
        "sl_rate_offered": figure("sl_rate_offered", int(c["answered_in_sl"]), real_offered),
        "abandon_rate": figure("abandon_rate", long_abandoned, real_offered),
        "short_abandoned": figure("short_abandoned", short),
        "short_abandon_rate": figure("short_abandon_rate", short, offered),
        "average_speed_of_answer": figure("average_speed_of_answer", float(c["answered_wait_sum"]), answered),
        "average_wait": figure("average_wait", float(c["wait_sum"]), offered),
        "longest_wait": figure("longest_wait", float(c["wait_max"]) if offered else None,
                               value=float(c["wait_max"]) if offered else None),
        "average_handling_time": figure("average_handling_time",
                                        float(c["talk_sum"]) + float(c["wrapup_sum"]), answered),
        "average_talk_time": figure("average_talk_time", float(c["talk_sum"]), answered),
        "rated": figure("rated", int(c["rated"])),
        "rating_rate": figure("rating_rate", int(c["rated"]), answered),
        "call_satisfaction_rate": figure("call_satisfaction_rate", int(c["rated_satisfied"]), int(c["rated"])),
    }


class _Zeroed(dict):
    """A slice with no rows (an hour without calls) reads as zeros."""

    def __getitem__(self, key):
        return self.get(key) or 0
