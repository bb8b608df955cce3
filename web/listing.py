"""Lists that work at a big city's size (列表): filter, sort and page in SQL, and the same list as CSV.

Not a blueprint: the review queue, the ticket search, the department portal and
the supervisor's calls page hand a filtered ``Select`` and their columns to
``page_of``; the sort is one of the columns' own (never free SQL), with the
row id as the tie-breaker so offset pages never repeat or skip a row. The CSV
is the whole filtered list (up to ``CSV_MAX`` rows) in the same order, times in
centre time, UTF-8 with a BOM so Excel reads the Chinese right.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil

from flask import Response, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kpis.errors import InvalidInput
from kpis.period import Period

PER_PAGE = 50
MAX_PER_PAGE = 200
CSV_MAX = 100_000  # more is a report job, not a download
COUNT_MAX = 10_000  # a list counts its rows up to here ("10,000+"): counting a million rows is not free


@dataclass(frozen=True)
class Column:
    key: str                       # the ?sort= value and the CSV header
    title: str                     # shown in the table head
    value: Callable                # row -> text for the CSV
    sort: object | None = None     # a column expression to ORDER BY, None: not sortable


@dataclass
class Page:
    rows: list
    total: int
    number: int
    per_page: int
    sort: str
    descending: bool
    columns: list[Column] = field(default_factory=list)
    more: bool = False  # more rows than COUNT_MAX match: total is COUNT_MAX

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.per_page)

    def args(self, extra: dict | None = None, **changes) -> dict:
        """The request's query arguments with some changed, plus ``extra`` (the view's path values)."""
        merged = {k: request.args.getlist(k) for k in request.args}
        for k, v in changes.items():
            merged[k] = [str(v)] if v is not None else []
        return {**{k: v for k, v in merged.items() if v}, **(extra or {})}

    def sort_args(self, key: str, extra: dict | None = None) -> dict:
        descending = not self.descending if key == self.sort else False
        return self.args(extra, sort=key, dir="desc" if descending else "asc", page=1)


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput.of({name: f"{raw!r} is not a whole number"}) from None
    if not low <= value <= high:
        raise InvalidInput.of({name: f"between {low} and {high}"})
    return value


@dataclass(frozen=True)
class _Sort:
    key: str
    descending: bool
    expr: object           # the sort column's expression
    tie: object            # the row id, the same way
    nullable: bool         # empty values come last, both ways

    @property
    def value_order(self):
        return self.expr.desc() if self.descending else self.expr.asc()

    def order(self) -> list:
        """One ORDER BY (the CSV): empty values last."""
        return [self.value_order.nulls_last() if self.nullable else self.value_order, self.tie]


def _sort(columns: list[Column], default: str, default_desc: bool, id_column) -> _Sort:
    sortable = {c.key: c for c in columns if c.sort is not None}
    key = request.args.get("sort") or default
    if key not in sortable:
        raise InvalidInput.of({"sort": f"one of {', '.join(sortable)}"})
    direction = request.args.get("dir") or ("desc" if (default_desc and key == default) else "asc")
    if direction not in ("asc", "desc"):
        raise InvalidInput.of({"dir": "asc or desc"})
    descending = direction == "desc"
    expr = sortable[key].sort
    return _Sort(key, descending, expr, id_column.desc() if descending else id_column.asc(),
                 bool(getattr(getattr(expr, "expression", expr), "nullable", True)))


def page_of(s: Session, query: Select, columns: list[Column], *, id_column, default_sort: str,
            default_desc: bool = False, prefix: str = "") -> Page:
    """One page of ``query`` by the request's ``page``, ``per``, ``sort`` and ``dir``.

    The count stops at COUNT_MAX (shown "10,000+"; pages beyond it: narrow the filter or sort the other way),
    so a page of a million-row list costs one page and a bounded count, not a full scan.
    """
    sort = _sort(columns, default_sort, default_desc, id_column)
    per_page = _int("per", PER_PAGE, 1, MAX_PER_PAGE)
    total, more = bounded_count(s, query, id_column)
    pages = max(1, ceil(total / per_page))
    number = min(_int(prefix + "page", 1, 1, 10**9), pages)
    offset = (number - 1) * per_page
    if not sort.nullable:
        rows = list(s.scalars(query.order_by(sort.value_order, sort.tie).limit(per_page).offset(offset)))
    else:
        rows = _empty_last_page(s, query, sort, id_column, per_page, offset)
    return Page(rows, total, number, per_page, sort.key, sort.descending, columns, more)


def _empty_last_page(s: Session, query: Select, sort: _Sort, id_column, per_page: int, offset: int) -> list:
    """A page of a list sorted on a column that may be empty, empty values last both ways, in two parts:
    the rows with a value in the column's order, then the empty ones by id. Each part walks an index on
    the column (either way) and stops after the page; one ``ORDER BY … NULLS LAST`` (or ``col IS NULL``)
    matches no index in one of the two directions on PostgreSQL, nor on SQLite, and sorts every row.
    """
    filled = query.where(sort.expr.is_not(None))
    rows = list(s.scalars(filled.order_by(sort.value_order, sort.tie).limit(per_page).offset(offset)))
    if len(rows) == per_page:
        return rows
    # the page reaches past the last filled row: how many filled rows come before the empty ones
    before = offset + len(rows) if rows else s.scalar(select(func.count()).select_from(
        filled.order_by(None).with_only_columns(id_column).limit(offset).subquery()))
    empty = query.where(sort.expr.is_(None)).order_by(sort.tie)
    return rows + list(s.scalars(empty.limit(per_page - len(rows)).offset(max(0, offset - before))))


def bounded_count(s: Session, query: Select, id_column) -> tuple[int, bool]:
    """How many rows ``query`` has, counted up to COUNT_MAX: (count, more than COUNT_MAX)."""
    counted = s.scalar(select(func.count()).select_from(
        query.order_by(None).with_only_columns(id_column).limit(COUNT_MAX + 1).subquery()))
    return min(counted, COUNT_MAX), counted > COUNT_MAX


def earliest_due(s: Session, query: Select, state_column, states, due_column, id_column, limit: int, *,
                 id_desc: bool = False) -> list:
    """The ``limit`` rows of ``query`` with the earliest deadline (empty deadlines last), ties by row id.

    The same rows as one ``ORDER BY due IS NULL, due, id`` over ``state IN (...)``, but fetched per state
    and merged, so each part walks an index on (…, state, due, id) and stops after ``limit`` rows instead
    of sorting every row of the states (the answered tickets of a department are most of its year).
    """
    tie = id_column.desc() if id_desc else id_column.asc()
    rows = []
    for state in states:
        part = query.where(state_column == state)
        rows += s.scalars(part.where(due_column.is_not(None)).order_by(due_column, tie).limit(limit))
    rows.sort(key=lambda r: (getattr(r, due_column.key), -r.id if id_desc else r.id))
    rows = rows[:limit]
    if len(rows) < limit:
        rest = query.where(state_column.in_(states), due_column.is_(None))
        rows += s.scalars(rest.order_by(tie).limit(limit - len(rows)))
    return rows


def count_text(total: int, more: bool) -> str:
    """A bounded count as shown: "1,234" or "10,000+"."""
    return f"{total:,}+" if more else f"{total:,}"


def csv_response(s: Session, query: Select, columns: list[Column], *, id_column, default_sort: str,
                 default_desc: bool = False, name: str) -> Response:
    """The whole filtered list, in the page's order, as a CSV download."""
    order = _sort(columns, default_sort, default_desc, id_column).order()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([c.key for c in columns])
    for row in s.scalars(query.order_by(*order).limit(CSV_MAX)):
        writer.writerow(["" if (v := c.value(row)) is None else str(v) for c in columns])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


def period_bounds(timezone: str, today: dt.date) -> tuple[dt.datetime | None, dt.datetime | None, Period | None]:
    """``from``/``to`` (centre dates, both included) as a [start, end) in naive UTC; none given: no bounds."""
    if not request.args.get("from") and not request.args.get("to"):
        return None, None, None
    period = Period.parse(request.args.get("from"), request.args.get("to"), timezone, today)
    start, end = period.utc_bounds()
    return start, end, period


def bad_input(error: InvalidInput):
    """A list asked for a page, sort or date it cannot give: 400 with the field and why."""
    from flask import render_template
    return render_template("listing_error.html", error=error), 400
