"""Ticket KPIs (工单指标) from the tickets, their audit trail and extension requests, one GROUP BY per table.

A ticket belongs to the period (and hour, day) it was written (受理) in centre
time; duplicates merged into another ticket (并单) are left out. "Due or done"
denominators (按时签收率, 按时办结率, 逾期率) take only tickets whose deadline
has passed at ``as_of`` or that are finished, so a ticket still within its time
is neither on time nor late yet.

Against gaming (seed 003: tickets marked done that are not):
- satisfied needs the citizen's own rating, very satisfied or satisfied; a
  ticket closed without a rating, or rated 一般/不满意, never counts as satisfied;
- a ticket reopened (重启) even once never counts as closed on time;
- on time is read from the reply time against the deadline, not only from the
  ``overdue`` flag, so a late reply cannot hide behind a missed flag.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, func, not_, or_, select, text
from sqlalchemy.orm import Session, aliased

from db.models import Satisfaction, Ticket, TicketEvent, TicketExtension, TicketState
from db.models.kpis import unsettled_sql
from kpis.dimensions import ticket_slicer
from kpis.formulas import figure
from kpis.period import CentreClock, Period, without_jit
from kpis.settings import KpiSettings

SATISFIED = (Satisfaction.very_satisfied, Satisfaction.satisfied)
CLOSED = (TicketState.closed, TicketState.archived)
# caller numbers that are no identity (号码隐藏): never matched to anyone's history
WITHHELD = ("", "anonymous", "unknown", "restricted", "private", "withheld")


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def ticket_counts(session: Session, period: Period, by: tuple[str, ...], filters: dict[str, str],
                  settings: KpiSettings, as_of: dt.datetime, *, rollup: bool = True) -> list[dict]:
    """The counts each ticket figure is built from, one dict per slice (``d_<dimension>`` keys).

    Whole days rolled up (``kpis.rollup``) are read from ``kpi_ticket_daily`` plus, live, their tickets still
    waiting for a deadline; the other days (today, days changed since) from the tickets.
    ``rollup=False`` reads every day from the tickets.
    """
    from kpis import rollup as rollups

    clock = CentreClock(session.get_bind().dialect.name, period.offset_minutes)
    without_jit(session)
    plan = rollups.plan(session, rollups.TICKETS, period, by, filters, settings) if rollup else None
    if plan is None:
        return _base_counts(session, clock, period, by, filters, settings, as_of)
    rows = [row for part in plan.base
            for row in _base_counts(session, clock, part, by, filters, settings, as_of)]
    unsettled = text(unsettled_sql("tickets."))
    rows += [row for part in plan.rolled
             for row in _base_counts(session, clock, part, by, filters, settings, as_of, unsettled)]
    rows += rollups.ticket_rollup_counts(session, clock, plan, by, filters)
    return rollups.merge(rows, by)


def _base_counts(session, clock, period, by, filters, settings, as_of, condition=None) -> list[dict]:
    start, end = period.utc_bounds()
    query = ticket_sums(clock, start, end, settings, as_of)
    if condition is not None:
        query = query.where(condition)
    query = ticket_slicer(clock, by, filters, Ticket.created_at).apply(query)
    return [dict(row._mapping) for row in session.execute(query)]


def ticket_sums(clock: CentreClock, start: dt.datetime, end: dt.datetime, settings: KpiSettings,
                as_of: dt.datetime):
    """Every ticket count over the tickets written in [start, end) as one unsliced SELECT."""
    t = Ticket
    dispatched = t.dispatched_at.isnot(None)
    closed = t.state.in_(CLOSED)
    accept_decided = and_(dispatched, or_(t.accepted_at.isnot(None), t.accept_overdue,
                                          t.accept_due_at < as_of))
    accept_on_time = and_(dispatched, t.accepted_at.isnot(None), not_(t.accept_overdue),
                          or_(t.accept_due_at.is_(None), t.accepted_at <= t.accept_due_at))
    handle_decided = and_(dispatched, or_(closed, t.handle_due_at < as_of))
    replied_late = and_(t.replied_at.isnot(None), t.handle_due_at.isnot(None), t.replied_at > t.handle_due_at)
    unreplied_late = and_(t.replied_at.is_(None), not_(closed), t.handle_due_at < as_of)
    overdue = and_(handle_decided, or_(t.overdue, replied_late, unreplied_late))
    closed_on_time = and_(dispatched, closed, t.reopen_count == 0, not_(t.overdue), t.replied_at.isnot(None),
                          or_(t.handle_due_at.is_(None), t.replied_at <= t.handle_due_at))
    rated = t.satisfaction.isnot(None)
    satisfied = t.satisfaction.in_(SATISFIED)
    returned = exists().where(TicketEvent.ticket_id == t.id, TicketEvent.event == "return_to_center")
    extended = exists().where(TicketExtension.ticket_id == t.id, TicketExtension.approved.is_(True))
    has_phone = and_(t.caller_phone.isnot(None), func.lower(t.caller_phone).notin_(WITHHELD))
    earlier = aliased(Ticket, name="earlier_ticket")
    repeat = and_(has_phone, t.topic_id.isnot(None), exists().where(
        earlier.caller_phone == t.caller_phone, earlier.topic_id == t.topic_id, earlier.id != t.id,
        # both bounds on created_at, so the index (caller_phone, topic_id, created_at) reads only the window
        earlier.created_at >= clock.shifted(t.created_at, -settings.repeat_days * 86400),
        earlier.created_at <= t.created_at,
        or_(earlier.created_at < t.created_at, earlier.id < t.id)))
    query = select(
        func.count(t.id).label("tickets"),
        _count(t.resolved_on_call).label("resolved_on_call"),
        _count(dispatched).label("dispatched"),
        _count(accept_decided).label("accept_decided"),
        _count(accept_on_time).label("accepted_on_time"),
        _count(handle_decided).label("handle_decided"),
        _count(closed_on_time).label("closed_on_time"),
        _count(overdue).label("overdue"),
        _count(has_phone).label("with_phone"),
        _count(repeat).label("repeats"),
        _count(rated).label("rated"),
        _count(satisfied).label("satisfied"),
        _count(and_(dispatched, closed)).label("closed_dispatched"),
        _count(and_(dispatched, closed, satisfied)).label("satisfied_closed"),
        _count(and_(dispatched, closed, not_(rated))).label("unrated_closed"),
        _count(t.visit_due_at.isnot(None)).label("visit_due"),
        _count(and_(t.visit_due_at.isnot(None), t.visited_at.isnot(None))).label("visited"),
        _count(closed).label("closed"),
        _count(and_(dispatched, t.replied_at.isnot(None))).label("replied"),
        _count(and_(dispatched, returned)).label("returned"),
        _count(and_(dispatched, extended)).label("extended"),
        _count(t.reopen_count > 0).label("reopened"),
    ).select_from(t).where(t.created_at >= start, t.created_at < end, t.state != TicketState.merged)
    return query


def ticket_figures(c: dict) -> dict:
    """Figures of one slice from its counts (``c`` as ``ticket_counts`` gives it)."""
    c = _Zeroed(c)
    return {
        "tickets": figure("tickets", c["tickets"]),
        "immediate_rate": figure("immediate_rate", c["resolved_on_call"], c["tickets"]),
        "dispatched": figure("dispatched", c["dispatched"]),
        "accept_on_time_rate": figure("accept_on_time_rate", c["accepted_on_time"], c["accept_decided"]),
        "close_on_time_rate": figure("close_on_time_rate", c["closed_on_time"], c["handle_decided"]),
        "overdue_rate": figure("overdue_rate", c["overdue"], c["handle_decided"]),
        "repeat_rate": figure("repeat_rate", c["repeats"], c["with_phone"]),
        "satisfaction_rate": figure("satisfaction_rate", c["satisfied"], c["rated"]),
        "satisfaction_rate_closed": figure("satisfaction_rate_closed", c["satisfied_closed"],
                                           c["closed_dispatched"]),
        "unrated_closed": figure("unrated_closed", c["unrated_closed"]),
        "visit_rate": figure("visit_rate", c["visited"], c["visit_due"]),
        "closure_rate": figure("closure_rate", c["closed"], c["tickets"]),
        "reply_rate": figure("reply_rate", c["replied"], c["dispatched"]),
        "return_rate": figure("return_rate", c["returned"], c["dispatched"]),
        "extension_rate": figure("extension_rate", c["extended"], c["dispatched"]),
        "reopened": figure("reopened", c["reopened"]),
    }


class _Zeroed(dict):
    """A slice with no rows (a day without tickets) reads as zeros."""

    def __getitem__(self, key):
        return int(self.get(key) or 0)
