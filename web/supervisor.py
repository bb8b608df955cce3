"""Supervisor's overview (值班长): lines, recent calls, live queue figures."""
from __future__ import annotations

import redis
from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import select

from calls.report import call_as_dict
from db.models import Call, Line, Role
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.snapshot import today, wallboard_snapshot
from web.auth import login_required, register_home
from web.database import session

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
register_home(Role.admin, "supervisor.overview")


@bp.get("/")
@login_required(Role.supervisor, Role.admin)
def overview():
    db = session()
    calls = db.scalars(select(Call).order_by(Call.arrived_at.desc()).limit(50)).all()
    lines = db.scalars(select(Line).order_by(Line.mode, Line.number)).all()
    return render_template("overview.html", calls=calls, lines=lines, queues=_live_queues())


@bp.get("/api/calls/recent")
@login_required(Role.supervisor, Role.admin)
def recent_calls():
    db = session()
    calls = db.scalars(select(Call).order_by(Call.arrived_at.desc()).limit(100)).all()
    return jsonify([call_as_dict(c) for c in calls])


def _live_queues() -> list[dict]:
    """Today's queue figures, as the wallboard computes them; an empty list when Redis is down."""
    settings = current_app.config["HOTLINE_SETTINGS"]
    try:
        snapshot = wallboard_snapshot(redis_client(settings), Keys(settings.redis_prefix), today(settings.timezone))
    except redis.RedisError:
        return []
    return snapshot["queues"]
