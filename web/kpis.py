"""The centre's numbers on the web (指标): the KPI dashboard for the centre and ``GET /api/v1/kpis``.

Both read ``kpis.report.kpi_table``, so the page, its CSV and the API show the
same figures. Centre roles (reviewer, supervisor, admin) see every figure; a
department clerk reads the API for their own department only (a merged line's
old owner sees its own calls and tickets); agents are refused.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from db.models import Department, Role
from kpis.dimensions import FILTERS, parse_by
from kpis.errors import InvalidInput
from kpis.formulas import CALL_FORMULAS, TICKET_FORMULAS
from kpis.period import Period
from kpis.report import FAMILIES, check_filters, csv_text, kpi_table
from tickets.errors import NotAllowed, TicketError
from web.auth import login_required
from web.database import session

CENTRE = (Role.reviewer, Role.supervisor, Role.admin)

bp = Blueprint("kpis", __name__, url_prefix="/supervisor/kpis")
api_bp = Blueprint("kpis_api", __name__, url_prefix="/api/v1")


@api_bp.errorhandler(InvalidInput)
@api_bp.errorhandler(TicketError)
def _error(error: InvalidInput | TicketError):
    return jsonify({"error": error.as_dict()}), error.status


@api_bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    ids = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return jsonify({"error": {"id": ids.get(error.code, "http_error"), "message": error.description}}), error.code


@api_bp.get("/kpis")
@login_required(*CENTRE, Role.clerk)
def api_kpis():
    table = table_from_request()
    if request.args.get("format") == "csv":
        return csv_response(table)
    return jsonify(table.as_dict())


@bp.get("/")
@login_required(*CENTRE)
def dashboard():
    """Figures of the period with their formulas, and the charts' data embedded in the page."""
    db = session()
    filters = _filters()
    period = _period()
    summary = kpi_table(db, period, (), filters)
    charts = {
        "hourly": _series(kpi_table(db, period, ("hour",), filters, families=("calls",)).calls, "hour"),
        "daily": _daily(kpi_table(db, period, ("day",), filters)),
        "heatmap": _heatmap(kpi_table(db, period, ("weekday", "hour"), filters, families=("calls",)).calls),
        "lines": _bars(kpi_table(db, period, ("line",), filters, families=("calls",)).calls, "line",
                       ("offered", "answer_rate")),
    }
    departments = kpi_table(db, period, ("department",), filters, families=("tickets",))
    charts["departments"] = _bars(departments.tickets, "department", ("tickets", "close_on_time_rate"))
    return render_template("kpis/dashboard.html", period=period, filters=filters, summary=summary,
                           departments=departments, call_formulas=CALL_FORMULAS, ticket_formulas=TICKET_FORMULAS,
                           charts_json=json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
                           q={"from": period.first.isoformat(), "to": period.last.isoformat(), **filters})


@bp.get("/export.csv")
@login_required(*CENTRE)
def export():
    """Any table of the page as CSV: the same parameters as the API (from, to, by, filters)."""
    return csv_response(table_from_request())


# --- shared by the page and the API ----------------------------------------------------------------
def table_from_request():
    by = parse_by(request.args.get("by"))
    families = FAMILIES
    if request.args.get("family"):
        if request.args["family"] not in FAMILIES:
            raise InvalidInput.of({"family": f"one of {', '.join(FAMILIES)}"})
        families = (request.args["family"],)
    return kpi_table(session(), _period(), by, _filters(), families=families)


def _period() -> Period:
    settings = current_app.config["HOTLINE_SETTINGS"]
    return Period.parse(request.args.get("from"), request.args.get("to"), settings.timezone,
                        settings.local_now().date())


def _filters() -> dict[str, str]:
    filters = {name: request.args[name].strip() for name in FILTERS if request.args.get(name, "").strip()}
    if g.user.role is Role.clerk:   # a department reads its own figures only
        own = session().get(Department, g.user.department_id) if g.user.department_id else None
        if own is None:
            raise NotAllowed("your login belongs to no department: ask the centre for its figures")
        if filters.get("department", own.code) != own.code:
            raise NotAllowed(f"a department sees its own figures only ({own.code})")
        filters["department"] = own.code
    check_filters(session(), filters)
    return filters


def csv_response(table) -> Response:
    name = f"kpis_{table.period.first}_{table.period.last}" + (f"_by_{'_'.join(table.by)}" if table.by else "")
    return Response(csv_text(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


# --- chart data ----------------------------------------------------------------------------------
def _value(row, name):
    return row["figures"][name]["value"]


def _series(rows, dim: str) -> dict:
    rows = rows or []
    return {"x": [r["label"][dim] for r in rows], "offered": [_value(r, "offered") for r in rows],
            "answered": [_value(r, "answered") for r in rows], "answer_rate": [_value(r, "answer_rate") for r in rows]}


def _daily(table) -> dict:
    calls, tickets = table.calls or [], table.tickets or []
    return {"x": [r["key"]["day"] for r in calls], "offered": [_value(r, "offered") for r in calls],
            "tickets": [_value(r, "tickets") for r in tickets]}


def _heatmap(rows) -> dict:
    rows = rows or []
    cells = [[r["key"]["hour"], r["key"]["weekday"], _value(r, "offered")] for r in rows]
    return {"cells": cells, "max": max([c[2] for c in cells] or [0])}


def _bars(rows, dim: str, names: tuple[str, str]) -> dict:
    rows = [r for r in rows or [] if _value(r, names[0])]
    return {"x": [r["label"][dim] for r in rows], names[0]: [_value(r, names[0]) for r in rows],
            names[1]: [_value(r, names[1]) for r in rows], "names": list(names)}
