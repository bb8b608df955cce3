"""A KPI table (指标表): call and ticket figures for one period, sliced, with labels and a CSV form.

``kpi_table(session, period, by=("department",))`` is what the API, the
dashboard and the CSV export all call, so they can never disagree.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Agent, Department, Line, Queue, Topic
from db.session import utcnow
from kpis.calls import call_counts, call_figures
from kpis.dimensions import (
    CALL_DIMENSIONS,
    TICKET_DIMENSIONS,
    TIME_DIMENSIONS,
    normalise_key,
)
from kpis.errors import InvalidInput
from kpis.formulas import CALL_FORMULAS, TICKET_FORMULAS
from kpis.period import Period
from kpis.settings import KpiSettings, load_settings
from kpis.tickets import ticket_counts, ticket_figures

FAMILIES = ("calls", "tickets")
WEEKDAYS = ("周日 Sun", "周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat")


@dataclass
class KpiTable:
    period: Period
    by: tuple[str, ...]
    filters: dict[str, str]
    settings: KpiSettings
    as_of: dt.datetime
    calls: list[dict] | None = None      # None: the family cannot be sliced this way
    tickets: list[dict] | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"period": self.period.as_dict(), "by": list(self.by), "filters": self.filters,
                "as_of": self.as_of.replace(microsecond=0).isoformat() + "Z",
                "settings": {"short_abandon_seconds": self.settings.short_abandon_seconds,
                             "repeat_days": self.settings.repeat_days},
                "calls": self.calls, "tickets": self.tickets, "notes": self.notes}


def kpi_table(session: Session, period: Period, by: tuple[str, ...] = (), filters: dict[str, str] | None = None,
              *, families: tuple[str, ...] = FAMILIES, as_of: dt.datetime | None = None,
              settings: KpiSettings | None = None) -> KpiTable:
    filters = dict(filters or {})
    table = KpiTable(period, tuple(by), filters, settings or load_settings(session), as_of or utcnow())
    labels = Labels(session)
    wanted = set(by) | set(filters)
    if "calls" in families:
        if wanted <= set(CALL_DIMENSIONS):
            counts = call_counts(session, period, table.by, filters, table.settings, as_of=table.as_of)
            table.calls = _rows(counts, table.by, period, call_figures, labels)
        else:
            table.notes.append(f"calls have no {', '.join(sorted(wanted - set(CALL_DIMENSIONS)))}: "
                               "slice them by " + ", ".join(CALL_DIMENSIONS))
    if "tickets" in families:
        if wanted <= set(TICKET_DIMENSIONS):
            counts = ticket_counts(session, period, table.by, filters, table.settings, table.as_of)
            table.tickets = _rows(counts, table.by, period, ticket_figures, labels)
        else:
            table.notes.append(f"tickets have no {', '.join(sorted(wanted - set(TICKET_DIMENSIONS)))}: "
                               "slice them by " + ", ".join(TICKET_DIMENSIONS))
    return table


def _rows(counts: list[dict], by: tuple[str, ...], period: Period, make_figures, labels: Labels) -> list[dict]:
    found = {}
    for row in counts:
        key = tuple(normalise_key(name, row[f"d_{name}"]) for name in by)
        found[key] = row
    keys = list(found)
    if by and all(name in TIME_DIMENSIONS for name in by):   # a series has every hour/day, calls or not
        keys = list(itertools.product(*(_domain(name, period) for name in by)))
    if not by:
        keys = [()]
    rows = []
    for key in sorted(keys, key=lambda k: tuple((v is None, v) for v in k)):
        rows.append({"key": dict(zip(by, key)),
                     "label": {name: labels.of(name, value) for name, value in zip(by, key)},
                     "figures": make_figures(found.get(key) or {})})
    return rows


def _domain(name: str, period: Period) -> list:
    if name == "hour":
        return list(range(24))
    if name == "weekday":
        return list(range(7))
    days = (period.last - period.first).days + 1
    return [(period.first + dt.timedelta(days=n)).isoformat() for n in range(days)]


class Labels:
    """Display names for dimension values (one small query per dimension table, on first use)."""

    def __init__(self, session: Session):
        self.session = session
        self.cache: dict[str, dict] = {}

    def of(self, name: str, value) -> str | None:
        if value is None:
            return "(无 none)"
        if name == "weekday":
            return WEEKDAYS[value]
        if name == "hour":
            return f"{value:02d}:00"
        if name in ("day",):
            return value
        if name not in self.cache:
            self.cache[name] = self._load(name)
        return self.cache[name].get(value, value)

    def _load(self, name: str) -> dict:
        query = {"queue": select(Queue.name, Queue.display_name),
                 "line": select(Line.number, Line.name),
                 "department": select(Department.code, Department.name),
                 "district": select(Department.code, Department.name),
                 "topic": select(Topic.code, Topic.name),
                 "agent": select(Agent.number, Agent.name)}.get(name)
        return dict(self.session.execute(query).all()) if query is not None else {}


def csv_text(table: KpiTable) -> str:
    """The table as CSV (UTF-8 with BOM, so Excel opens the Chinese names right): one line per slice and figure."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["family", *table.by, *(f"{n}_label" for n in table.by), "kpi", "指标", "value", "numerator",
                     "denominator", "formula"])
    for family, formulas in (("calls", CALL_FORMULAS), ("tickets", TICKET_FORMULAS)):
        for row in getattr(table, family) or []:
            for formula in formulas:
                f = row["figures"][formula.key]
                writer.writerow([family, *(row["key"][n] for n in table.by), *(row["label"][n] for n in table.by),
                                 formula.key, formula.zh, _cell(f["value"]), _cell(f["numerator"]),
                                 _cell(f["denominator"]), formula.text])
    return out.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)


FILTER_TABLES = {"queue": (Queue, Queue.name), "line": (Line, Line.number), "department": (Department, Department.code),
                 "district": (Department, Department.code), "topic": (Topic, Topic.code), "agent": None}


def check_filters(session: Session, filters: dict[str, str]) -> None:
    """A filter naming nothing (a typo) is refused, never answered with zeros."""
    errors = {}
    for name, value in filters.items():
        spec = FILTER_TABLES.get(name)
        if spec is None:
            continue   # agent: an agent's 工号 on calls, the login name on tickets
        _model, column = spec
        if session.scalar(select(column).where(column == value)) is None:
            errors[name] = f"unknown {name} {value!r}"
    if errors:
        raise InvalidInput.of(errors)
