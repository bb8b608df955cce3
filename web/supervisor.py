"""Supervisor's overview (值班长): lines, recent calls, live queue figures; the calls list (来电记录).

Times are shown in centre time (HOTLINE_TIMEZONE), as every page of the panel;
the calls list filters by centre dates, outcome, queue, line and caller, sorts
and pages in SQL, and gives the whole filtered list as CSV.
"""
from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from calls.report import call_as_dict
from db.models import Call, CallOutcome, Line, Role
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from kpis.errors import InvalidInput
from queue_logic.snapshot import today, wallboard_snapshot
from web import listing
from web.auth import login_required, register_home
from web.database import session
from web.ticket_views import policy

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
bp.register_error_handler(InvalidInput, listing.bad_input)
register_home(Role.admin, "supervisor.overview")


def _seconds(value) -> str:
    return "" if value is None else f"{value:.1f}"


def _local_seconds(utc) -> str:
    return policy().to_local(utc).strftime("%Y-%m-%d %H:%M:%S") if utc else ""


CALL_COLUMNS = [
    listing.Column("arrived", "来电时间 arrived", lambda c: _local_seconds(c.arrived_at), Call.arrived_at),
    listing.Column("caller", "主叫 caller", lambda c: c.caller, Call.caller),
    listing.Column("dialed", "被叫 dialed", lambda c: c.dialed_number, Call.dialed_number),
    listing.Column("line", "号码 line", lambda c: c.line.name if c.line else ""),
    listing.Column("queue", "队列 queue", lambda c: c.queue_name or "", Call.queue_name),
    listing.Column("agent", "坐席 agent", lambda c: c.agent.name if c.agent else ""),
    listing.Column("outcome", "结果 outcome", lambda c: c.outcome.value if c.outcome else "in progress", Call.outcome),
    listing.Column("wait", "等待 wait s", lambda c: _seconds(c.wait_seconds), Call.wait_seconds),
    listing.Column("talk", "通话 talk s", lambda c: _seconds(c.talk_seconds), Call.talk_seconds),
]


@bp.app_template_filter("local_seconds")
def _local_seconds_filter(utc) -> str:
    return _local_seconds(utc) or "—"


@bp.get("/")
@login_required(Role.supervisor, Role.admin)
def overview():
    db = session()
    calls = db.scalars(select(Call).options(selectinload(Call.line), selectinload(Call.agent))
                       .order_by(Call.arrived_at.desc()).limit(50)).all()
    lines = db.scalars(select(Line).order_by(Line.mode, Line.number)).all()
    return render_template("overview.html", calls=calls, lines=lines, queues=_live_queues(),
                           timezone=current_app.config["HOTLINE_SETTINGS"].timezone)


@bp.get("/calls")
@login_required(Role.supervisor, Role.admin)
def calls():
    """Calls of centre dates ``from``–``to`` (default: today), filtered, sorted and paged in SQL; ``format=csv``."""
    db, args = session(), request.args
    settings = current_app.config["HOTLINE_SETTINGS"]
    local_today = settings.local_now().date()
    since, until, period = listing.period_bounds(settings.timezone, local_today)
    if period is None:
        from kpis.period import Period
        period = Period(local_today, local_today, settings.timezone)
        since, until = period.utc_bounds()
    query = select(Call).where(Call.arrived_at >= since, Call.arrived_at < until)
    outcome = args.get("outcome", "")
    if outcome == "in_progress":
        query = query.where(Call.outcome.is_(None))
    elif outcome:
        if outcome not in CallOutcome.__members__:
            raise InvalidInput.of({"outcome": f"one of in_progress, {', '.join(CallOutcome.__members__)}"})
        query = query.where(Call.outcome == CallOutcome(outcome))
    if args.get("queue"):
        query = query.where(Call.queue_name == args["queue"].strip())
    if args.get("line"):
        query = query.where(Call.dialed_number == args["line"].strip())
    if args.get("caller"):
        query = query.where(Call.caller == args["caller"].strip())
    query = query.options(selectinload(Call.line), selectinload(Call.agent))
    paging = dict(id_column=Call.id, default_sort="arrived", default_desc=True)
    if listing.wants_csv():
        return listing.csv_response(db, query, CALL_COLUMNS, name=f"calls_{period.first}_{period.last}", **paging)
    page = listing.page_of(db, query, CALL_COLUMNS, **paging)
    return render_template("supervisor/calls.html", page=page, period=period, args=args,
                           outcomes=["in_progress", *CallOutcome.__members__])


@bp.get("/api/calls/recent")
@login_required(Role.supervisor, Role.admin)
def recent_calls():
    db = session()
    calls = db.scalars(select(Call).order_by(Call.arrived_at.desc()).limit(100)
                       .options(selectinload(Call.ticket_queries))).all()
    return jsonify([call_as_dict(c) for c in calls])


def _live_queues() -> list[dict]:
    """Today's queue figures, as the wallboard computes them; an empty list when Redis is down."""
    settings = current_app.config["HOTLINE_SETTINGS"]
    try:
        snapshot = wallboard_snapshot(redis_client(settings), Keys(settings.redis_prefix), today(settings.timezone))
    except redis.RedisError:
        return []
    return snapshot["queues"]
