"""The callback list on the web (漏接回拨): ``GET /api/v1/callbacks`` and the agents' list with one-click call back.

One click queues an rq job (the dialer owns the AMI connection, the web does not dial):
the citizen is called with the centre's caller ID and put through to the agent who clicked.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from callbacks.listing import STATUSES, callback_as_dict, figures, list_callbacks
from db.models import Callback, CallbackStatus, Role
from web.auth import login_required
from web.database import session

CENTRE = (Role.agent, Role.reviewer, Role.supervisor, Role.admin)
MAX_LIMIT = 200

bp = Blueprint("callbacks", __name__)


def _invalid(message: str, field: str):
    return jsonify({"error": {"id": "invalid_input", "message": message, "fields": {field: message}}}), 400


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if not request.path.startswith("/api/"):
        return error
    ids = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return jsonify({"error": {"id": ids.get(error.code, "http_error"), "message": error.description}}), error.code


def _query():
    """(day, status, limit) from the query string, or an error message and its field."""
    args = request.args
    day = status = None
    if args.get("day"):
        try:
            day = dt.date.fromisoformat(args["day"])
        except ValueError:
            return None, ("day must be a date YYYY-MM-DD", "day")
    if args.get("status"):
        if args["status"] not in STATUSES:
            return None, (f"status must be one of {', '.join(STATUSES)}", "status")
        status = args["status"]
    raw = args.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        return None, (f"limit must be a whole number from 1 to {MAX_LIMIT}", "limit")
    return (day, status, int(raw)), None


@bp.get("/api/v1/callbacks")
@login_required(*CENTRE)
def api_list():
    parsed, error = _query()
    if error:
        return _invalid(*error)
    day, status, limit = parsed
    items = list_callbacks(session(), day=day, status=status, limit=limit)
    return jsonify({"callbacks": [callback_as_dict(c, mask=str) for c in items], "figures": figures(items)})


@bp.get("/agent/callbacks")
@login_required(Role.agent)
def agent_list():
    items = list_callbacks(session(), limit=MAX_LIMIT)
    return render_template("agent/callbacks.html", callbacks=[c for c in items if c.status != CallbackStatus.undialable],
                           figures=figures(items))


@bp.post("/agent/callbacks/<int:callback_id>/call")
@login_required(Role.agent)
def call_back(callback_id: int):
    """一键回拨: queue the dialer's job for this request and this agent."""
    callback = session().get(Callback, callback_id)
    if callback is None or callback.status != CallbackStatus.pending or g.user.agent is None:
        flash("这条回拨现在不能拨打 This callback cannot be dialed now (already out, reached, or used up).", "error")
        return redirect(url_for("callbacks.agent_list"))
    current_app.extensions["callback_dialer"](callback_id, g.user.agent.number)
    flash(f"正在回拨 Calling back {callback.caller}: your phone rings when the citizen answers.", "info")
    return redirect(url_for("callbacks.agent_list"))


def init_app(app) -> None:
    """The one-click dialer: an rq job by default; a test may put a function of its own."""
    if "callback_dialer" in app.extensions:
        return

    def enqueue(callback_id: int, agent_number: str) -> None:
        from rq import Queue

        from hotline.keys import Keys
        from hotline.redis_conn import redis_client

        settings = app.config["HOTLINE_SETTINGS"]
        keys = Keys(settings.redis_prefix)
        Queue(keys.rq_queue, connection=redis_client(settings)).enqueue(
            "callbacks.jobs.call_back_by_agent", callback_id, agent_number,
            job_id=keys.job_id(f"callback-{callback_id}"), result_ttl=3600, failure_ttl=86400)

    app.extensions["callback_dialer"] = enqueue


bp.record_once(lambda state: init_app(state.app))
