"""Supervisor wallboard (值班长大屏): queues and agents live, by Server-Sent Events, with actions.

Thin views: live figures come from Redis (queue_logic.snapshot; one subscription per process, web.streams), actions go to
the AMI listener as commands (queue_logic.commands), the surge announcement is
a CentreSetting (queue_logic.surge).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, render_template, request

from db.models import Role
from hotline.errors import HotlineError
from queue_logic import surge
from queue_logic.commands import SPY_MODES
from queue_logic.snapshot import today, wallboard_snapshot
from queue_logic.states import PAUSE_REASONS, STATE_LABELS
from web.auth import login_required, register_home
from web.database import new_session, session
from web.live import command_response, event_stream, live_keys, live_redis, register_unavailable

bp = Blueprint("wallboard", __name__, url_prefix="/supervisor/wallboard")
register_unavailable(bp)     # Redis down: 503 "live_state_unavailable", never a 500
register_home(Role.supervisor, "wallboard.board")

SUPERVISING = (Role.supervisor, Role.admin)
MAX_UPLOAD = 20 * 1024 * 1024


def _settings():
    return current_app.config["HOTLINE_SETTINGS"]


def _snapshot() -> dict:
    settings = _settings()
    data = wallboard_snapshot(live_redis(), live_keys(), today(settings.timezone))
    with new_session() as db:     # built for every stream of the process: a connection only while it reads
        data["surge"] = surge.surge_status(db)
    return data


def _announce() -> None:
    """Tell every open wallboard to refresh (the surge is not in Asterisk, so no event says so)."""
    live_redis().publish(live_keys().live_channel, '{"surge": true}')


@bp.get("/")
@login_required(*SUPERVISING)
def board():
    return render_template("wallboard/board.html", reasons=PAUSE_REASONS, labels=STATE_LABELS, modes=SPY_MODES)


@bp.get("/snapshot")
@login_required(*SUPERVISING)
def snapshot():
    return jsonify(_snapshot())


@bp.get("/stream")
@login_required(*SUPERVISING)
def stream():
    """Every open wallboard of this process shares one subscription and one snapshot per change."""
    return event_stream(_snapshot, share_key="wallboard")


# --- actions on agents ------------------------------------------------------------
@bp.post("/agents/<number>/pause")
@login_required(*SUPERVISING)
def pause(number: str):
    return command_response("pause", agent=number, reason=request.form.get("reason") or "break")


@bp.post("/agents/<number>/unpause")
@login_required(*SUPERVISING)
def unpause(number: str):
    return command_response("unpause", agent=number)


@bp.post("/agents/<number>/logout")
@login_required(*SUPERVISING)
def logout(number: str):
    return command_response("logout", agent=number)


@bp.post("/agents/<number>/spy")
@login_required(*SUPERVISING)
def spy(number: str):
    """Listen / whisper / barge: the supervisor's own phone rings, then hears the call."""
    return command_response("spy", agent=number, mode=request.form.get("mode") or "listen",
                            supervisor=g.user.username)


# --- surge announcement (热点播报) -----------------------------------------------------
@bp.post("/surge")
@login_required(*SUPERVISING)
def surge_on():
    text = (request.form.get("text") or "").strip()
    upload = request.files.get("recording")
    settings, db = _settings(), session()
    try:
        if upload and upload.filename:
            if (request.content_length or 0) > MAX_UPLOAD:
                return jsonify({"ok": False, "error": "too_large", "message": "recording over 20 MB"}), 413
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "upload.wav"
                upload.save(path)
                prompt = surge.switch_on_recording(db, settings.prompts_dir, path, g.user.username,
                                                   settings.local_now(), text)
        else:
            prompt = surge.switch_on_text(db, settings.prompts_dir, text, g.user.username, settings.local_now())
    except HotlineError as e:
        db.rollback()
        return jsonify({"ok": False, "error": "bad_announcement", "message": e.problem}), 400
    db.commit()
    current_app.logger.warning("surge announcement ON by %s: %s", g.user.username, prompt)
    _announce()
    return jsonify({"ok": True, "surge": surge.surge_status(db)})


@bp.post("/surge/off")
@login_required(*SUPERVISING)
def surge_off():
    db = session()
    surge.switch_off(db, g.user.username)
    db.commit()
    current_app.logger.warning("surge announcement OFF by %s", g.user.username)
    _announce()
    return jsonify({"ok": True, "surge": surge.surge_status(db)})


@bp.post("/surge/preview")
@login_required(*SUPERVISING)
def surge_preview():
    """试听 on the supervisor's own phone: the text typed (not yet on), else the announcement that is on."""
    text = (request.form.get("text") or "").strip()
    settings = _settings()
    if text:
        try:
            prompt = str(surge.speak(text, settings.prompts_dir, settings.local_now()))
        except HotlineError as e:
            return jsonify({"ok": False, "error": "bad_announcement", "message": e.problem}), 400
    else:
        prompt = surge.surge_status(session())["prompt"]
        if not prompt:
            return jsonify({"ok": False, "error": "no_announcement",
                            "message": "type a text, or switch an announcement on first"}), 409
    return command_response("surge_preview", supervisor=g.user.username, prompt=prompt)
