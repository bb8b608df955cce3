"""Daily, weekly and monthly reports (日报/周报/月报) for the centre's leaders: one period's figures on one page.

A report is whole centre days: a day, a week Monday–Sunday (ISO weeks, as
Chinese offices count them) or a calendar month. Its content is the KPI table
of the period (``kpis.report.kpi_table``: the same figures as the dashboard and
the API, with their formulas), the same per department, the busiest topics and
districts, and for a daily report the day's spikes against the same weekday of
the 4 weeks before.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kpis.errors import InvalidInput
from kpis.formulas import CALL_FORMULAS, TICKET_FORMULAS
from kpis.period import Period
from kpis.report import kpi_table
from reports import hotspots

KINDS = {"daily": "日报 Daily report", "weekly": "周报 Weekly report", "monthly": "月报 Monthly report"}


def period_of(kind: str, value: str | None, timezone: str, today: dt.date) -> Period:
    """daily: YYYY-MM-DD (default yesterday); weekly: any day of the week (default last week); monthly: YYYY-MM."""
    if kind not in KINDS:
        raise InvalidInput.of({"kind": f"one of {', '.join(KINDS)}"})
    value = (value or "").strip()
    try:
        if kind == "monthly":
            if value:
                year, month = (int(part) for part in value[:7].split("-"))
                first = dt.date(year, month, 1)
            else:
                first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            return Period(first, last, timezone)
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        form = "YYYY-MM" if kind == "monthly" else "YYYY-MM-DD"
        raise InvalidInput.of({"on": f"{value!r} is not a {'month' if kind == 'monthly' else 'date'}: write {form}"}) from None
    if kind == "daily":
        day = day or today - dt.timedelta(days=1)
        return Period(day, day, timezone)
    day = day or today - dt.timedelta(days=7)
    monday = day - dt.timedelta(days=day.weekday())
    return Period(monday, monday + dt.timedelta(days=6), timezone)


@dataclass
class Report:
    kind: str
    title: str
    period: Period
    calls: dict          # figure key → figure (value, numerator, denominator, formula)
    tickets: dict
    departments: list[dict]
    topics: list
    districts: list
    spikes: list
    settings: object

    @property
    def call_formulas(self):
        return CALL_FORMULAS

    @property
    def ticket_formulas(self):
        return TICKET_FORMULAS


def build(session: Session, kind: str, period: Period) -> Report:
    summary = kpi_table(session, period)
    departments = kpi_table(session, period, ("department",), families=("tickets",)).tickets or []
    spikes = [s for s in hotspots.spikes(session, period.first, period.timezone, "topic") if s.is_spike] \
        if kind == "daily" else []
    return Report(kind, KINDS[kind], period, summary.calls[0]["figures"], summary.tickets[0]["figures"],
                  departments, hotspots.top(session, period, "topic"), hotspots.top(session, period, "district"),
                  spikes, summary.settings)
