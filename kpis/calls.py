"""Call KPIs (话务指标) from the call records (来电记录), one GROUP BY per table.

Which calls count:
- a call belongs to the period (and hour, day) in which it joined a human
  queue; a call that never queued, at its arrival;
- only finished calls (``ended_at`` set) count: a call still ringing or talking
  is live, not history;
- offered (人工排队) = joined a human queue (``queue_joined_at`` set); answered =
  an agent picked it up (``answered_at``); abandoned = outcome ``abandoned``
  without an answer; short abandons (短时放弃) waited under the threshold.
- a caller who kept their place (回拨预约, outcome ``virtual_hold``) never joined the
  queue: received, never offered nor abandoned (its placeholder is left out of queue_log too).

Callbacks (漏接回拨, ``callbacks`` and ``callback_attempts``) are counted in the
slice of the request's first missed call (its queue, line, department, agent —
none: nobody answered it — and the time it queued or arrived). They are read
live, never from the roll-up: whether a request is due depends on ``as_of``.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Call, Callback, CallbackStatus, CallOutcome, Queue, callback_calls
from db.session import utcnow
from kpis.dimensions import call_slicer, normalise_key
from kpis.formulas import RATING_LEVELS, figure
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
        *(_count(and_(answered, Call.rating == level)).label(f"rated_{level}") for level, _, _ in RATING_LEVELS),
    ).select_from(Call).outerjoin(Queue, Queue.name == Call.queue_name).where(
        Call.ended_at.isnot(None),
        Call.arrived_at >= start - ARRIVAL_SLACK, Call.arrived_at < end,  # the indexed column narrows first
        at >= start, at < end,
    )
    return query, at


def call_counts(session: Session, period: Period, by: tuple[str, ...], filters: dict[str, str],
                settings: KpiSettings, *, rollup: bool = True, as_of: dt.datetime | None = None) -> list[dict]:
    """The sums each call figure is built from, one dict per slice (``d_<dimension>`` keys).

    Whole days rolled up (``kpis.rollup``) are read from ``kpi_call_daily``; the other days (today, days
    changed since) from the call records. ``rollup=False`` reads every day from the call records.
    The callback sums (``cb_*``) are always read live, judged at ``as_of`` (default now).
    """
    from kpis import rollup as rollups

    clock = CentreClock(session.get_bind().dialect.name, period.offset_minutes)
    without_jit(session)
    plan = rollups.plan(session, rollups.CALLS, period, by, filters, settings) if rollup else None
    if plan is None:
        rows = _base_counts(session, clock, period, by, filters, settings)
    else:
        rows = [row for part in plan.base for row in _base_counts(session, clock, part, by, filters, settings)]
        rows += rollups.call_rollup_counts(session, clock, plan, by, filters)
        rows = rollups.merge(rows, by, maxima=("wait_max",))
    return _with_callbacks(rows, callback_counts(session, clock, period, by, filters, as_of or utcnow()), by)


def _with_callbacks(rows: list[dict], callbacks: dict[tuple, dict], by) -> list[dict]:
    """The callback sums joined onto the call rows of the same slice (a slice with callbacks only gets a row)."""
    keyed = {tuple(normalise_key(name, row.get(f"d_{name}")) for name in by): row for row in rows}
    for key, sums in callbacks.items():
        row = keyed.get(key)
        if row is None:
            row = keyed[key] = {f"d_{name}": value for name, value in zip(by, key)}
        row.update(sums)
    return list(keyed.values())


def callback_counts(session: Session, clock: CentreClock, period: Period, by, filters: dict[str, str],
                    as_of: dt.datetime) -> dict[tuple, dict]:
    """Per slice: the callback requests whose first missed call is in the period, and their times to callback.

    Counted in SQL: requests, withheld (undialable), due, reached, reached by the target time, open. The
    seconds to callback of the reached requests are read row by row for the median (the same on SQLite
    and PostgreSQL).
    """
    start, end = period.utc_bounds()
    first = aliased(Call, name="first_call")
    first_call_id = select(first.id).join(callback_calls, callback_calls.c.call_id == first.id) \
        .where(callback_calls.c.callback_id == Callback.id) \
        .order_by(first.arrived_at, first.id).limit(1).scalar_subquery()
    at = func.coalesce(Call.queue_joined_at, Call.arrived_at)
    dialable = Callback.status != CallbackStatus.undialable
    reached = and_(dialable, Callback.reached_at.isnot(None))
    due = and_(dialable, or_(Callback.reached_at.isnot(None), Callback.status == CallbackStatus.failed,
                             Callback.due_at <= as_of))
    is_open = Callback.status.in_([CallbackStatus.pending, CallbackStatus.dialing])
    # a request's centre day is its first missed call's arrival day: the index narrows to the period's days
    # (one day of slack each side, whatever the offset), then the first call decides
    base = select().select_from(Callback).join(Call, Call.id == first_call_id).where(
        Callback.centre_day.between(period.first - ARRIVAL_SLACK - dt.timedelta(days=1),
                                    period.last + dt.timedelta(days=1)),
        Call.arrived_at >= start - ARRIVAL_SLACK, Call.arrived_at < end, at >= start, at < end)
    slicer = call_slicer(clock, by, filters, at)
    counts = slicer.apply(base.add_columns(
        func.count(Callback.id).label("cb_requests"),
        _count(~dialable).label("cb_undialable"),
        _count(due).label("cb_due"),
        _count(reached).label("cb_reached"),
        _count(and_(reached, Callback.reached_at <= Callback.due_at)).label("cb_on_target"),
        _count(is_open).label("cb_open")))
    out: dict[tuple, dict] = {}
    for row in session.execute(counts):
        values = dict(row._mapping)
        key = tuple(normalise_key(name, values.pop(f"d_{name}")) for name in by)
        out[key] = values | {"cb_seconds": []}
    times = call_slicer(clock, by, filters, at).apply(
        base.add_columns(Callback.created_at, Callback.reached_at).where(reached), group=False)
    for row in session.execute(times):
        values = row._mapping
        key = tuple(normalise_key(name, values[f"d_{name}"]) for name in by)
        out[key]["cb_seconds"].append((values["reached_at"] - values["created_at"]).total_seconds())
    return out


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
        **{f"rated_{level}": figure(f"rated_{level}", int(c[f"rated_{level}"])) for level, _, _ in RATING_LEVELS},
        "unrated": figure("unrated", answered - int(c["rated"])),
        **callback_figures(c),
    }


def callback_figures(c: dict) -> dict:
    due, reached = int(c["cb_due"]), int(c["cb_reached"])
    seconds = c.get("cb_seconds") or []
    median = round(statistics.median(seconds), 1) if seconds else None
    longest = round(max(seconds), 1) if seconds else None
    return {
        "callback_requests": figure("callback_requests", int(c["cb_requests"])),
        "callback_undialable": figure("callback_undialable", int(c["cb_undialable"])),
        "callback_rate": figure("callback_rate", reached, due),
        "callback_on_target_rate": figure("callback_on_target_rate", int(c["cb_on_target"]), due),
        "average_time_to_callback": figure("average_time_to_callback", float(sum(seconds)), reached),
        "median_time_to_callback": figure("median_time_to_callback", median, value=median),
        "longest_time_to_callback": figure("longest_time_to_callback", longest, value=longest),
        "callback_open": figure("callback_open", int(c["cb_open"])),
    }


class _Zeroed(dict):
    """A slice with no rows (an hour without calls) reads as zeros."""

    def __getitem__(self, key):
        return self.get(key) or 0
