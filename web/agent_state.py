"""An agent's own state and controls (坐席状态): log in/out, pause with a reason, unpause.

Meant to be embedded in the agent workspace: ``GET /agent/state/panel`` is a
self-contained HTML fragment (its script streams the agent's state by SSE,
and tells the workspace around it of a new call: the workspace's one stream);
the JSON endpoints serve any other front end. The same actions exist on the
softphone as feature codes (*21 *22 *23x *24, extensions_agents.conf).
"""
from __future__ import annotations

import redis
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request

from db.models import Role
from queue_logic.snapshot import agent_snapshot, today
from queue_logic.states import PAUSE_REASONS, STATE_LABELS
from web.auth import login_required
from web.live import command_response, event_stream, hub, live_keys, live_redis, register_unavailable

bp = Blueprint("agent_state", __name__, url_prefix="/agent/state")
register_unavailable(bp)     # Redis down: 503 "live_state_unavailable", never a 500


def _my_number() -> str:
    """The web login's agent (工号); a login without one has no phone state."""
    agent = g.user.agent
    if agent is None:
        abort(409, description="this login is not linked to an agent (工号)")
    return agent.number


def _state() -> dict:
    settings = current_app.config["HOTLINE_SETTINGS"]
    return agent_snapshot(live_redis(), live_keys(), _my_number(), today(settings.timezone))


@bp.get("/")
@login_required(Role.agent)
def state():
    return jsonify(_state())


@bp.get("/panel")
@login_required(Role.agent)
def panel():
    try:
        state, available = _state(), True
    except redis.RedisError as e:       # the workspace still works; the panel says why it shows nothing
        hub().trouble.failed(e)
        state = {"state": "unknown", "reason": "", "since": 0, "call_line": "", "call_line_name": "",
                 "answered": "—"}
        available = False
    return render_template("wallboard/agent_panel.html", state=state, available=available, reasons=PAUSE_REASONS,
                           labels=STATE_LABELS)


@bp.get("/stream")
@login_required(Role.agent)
def stream():
    number = _my_number()
    settings = current_app.config["HOTLINE_SETTINGS"]
    redis_client, keys = live_redis(), live_keys()

    def build() -> dict:
        return agent_snapshot(redis_client, keys, number, today(settings.timezone))

    return event_stream(build, event="state", share_key=("agent", number))


@bp.post("/login")
@login_required(Role.agent)
def login():
    return command_response("login", agent=_my_number())


@bp.post("/logout")
@login_required(Role.agent)
def logout():
    return command_response("logout", agent=_my_number())


@bp.post("/pause")
@login_required(Role.agent)
def pause():
    return command_response("pause", agent=_my_number(), reason=request.form.get("reason") or "break")


@bp.post("/unpause")
@login_required(Role.agent)
def unpause():
    return command_response("unpause", agent=_my_number())
