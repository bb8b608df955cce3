"""REST API of the centre's configuration (``/api/v1/lines``, ``/queues``, ``/agents``, ``/menus``,
``/switches``, ``/calendar-days``), admin only, described in ``web/openapi.yaml``.

Every write goes through ``centre_config.versions`` (checked whole, versioned, audited)
and, after the commit, ``centre_config.live`` (prompts remade, running services told).
Errors are ``{"error": {"id", "message", "fields"?}}``.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from centre_config import live, staging, versions
from centre_config.errors import ConfigError, ConfigInvalid, ConfigNotFound
from centre_config.greetings import store_recording
from db.models import Role
from web import database
from web.auth import login_required

bp = Blueprint("config_api", __name__, url_prefix="/api/v1")

RESOURCES = (  # path, kind, key parameter
    ("lines", "line", "number"),
    ("queues", "queue", "name"),
    ("agents", "agent", "number"),
    ("menus", "menu", "name"),
    ("switches", "switch", "key"),
    ("calendar-days", "calendar_day", "day"),
)


@bp.errorhandler(ConfigError)
def _config_error(error: ConfigError):
    return jsonify({"error": error.as_dict()}), error.status


def _http_error(error: HTTPException):
    ids = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return jsonify({"error": {"id": ids.get(error.code, "http_error"), "message": error.description}}), error.code


bp.register_error_handler(HTTPException, _http_error)


def by() -> str:
    return g.user.username


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ConfigInvalid("request", {"body": "send a JSON object"})
    return body


def commit(session) -> list[str]:
    """Commit, then remake prompts and tell the running services; returns the notes for the admin."""
    session.commit()
    return live.after_commit(current_app.config["HOTLINE_SETTINGS"], versions.pending_changes(session))


def saved_body(saved: versions.Saved, notes: list[str]) -> dict:
    body = {"item": saved.data, "version": versions.as_dict(saved.version) if saved.version else None,
            "notes": notes}
    if saved.secret:
        body["sip_secret"] = saved.secret      # shown once: it is in no version and no later answer
    return body


def _make_views(path: str, kind: str, key_param: str) -> None:
    k = versions.kind_of(kind)

    @login_required(Role.admin)
    def list_items():
        s = database.session()
        return jsonify([k.dump(k.get(s, key)) for key in k.keys(s)])

    @login_required(Role.admin)
    def create_item():
        body = _body()
        s = database.session()
        key = body.get(k.key_field)
        if key in (None, ""):
            raise ConfigInvalid(f"new {k.label}", {k.key_field: "is required"})
        if k.get(s, k.normalize_key(key)) is not None:
            raise ConfigInvalid(f"new {k.label}", {k.key_field: f"{k.label} {key} exists: change it with PATCH"})
        note = body.pop("note", None)
        saved = versions.save(s, kind, key, body, by=by(), create=True, note=note)
        return jsonify(saved_body(saved, commit(s))), 201

    @login_required(Role.admin)
    def get_item(**kw):
        data = versions.current(database.session(), kind, kw[key_param])
        if data is None:
            raise ConfigNotFound(f"there is no {k.label} {kw[key_param]}")
        if kind == "line":
            data = {**data, "staged": [staging.as_dict(r) for r in staging.pending(database.session(), kind,
                                                                                    kw[key_param])]}
        return jsonify(data)

    @login_required(Role.admin)
    def update_item(**kw):
        body = _body()
        s = database.session()
        note = body.pop("note", None)
        saved = versions.save(s, kind, kw[key_param], body, by=by(), note=note)
        return jsonify(saved_body(saved, commit(s)))

    @login_required(Role.admin)
    def remove_item(**kw):
        s = database.session()
        saved = versions.remove(s, kind, kw[key_param], by=by())
        return jsonify(saved_body(saved, commit(s)))

    @login_required(Role.admin)
    def item_versions(**kw):
        rows = versions.history(database.session(), kind, kw[key_param])
        return jsonify([versions.as_dict(v) for v in rows])

    @login_required(Role.admin)
    def restore_item(**kw):
        body = request.get_json(silent=True) or {}
        number = body.get("version") if isinstance(body, dict) else None
        if number is not None and not isinstance(number, int):
            raise ConfigInvalid("restore", {"version": "a version number"})
        s = database.session()
        saved = versions.restore(s, kind, kw[key_param], by=by(), version=number)
        return jsonify(saved_body(saved, commit(s)))

    one = f"/{path}/<{key_param}>"
    for rule, view, methods in ((f"/{path}", list_items, ["GET"]), (f"/{path}", create_item, ["POST"]),
                                (one, get_item, ["GET"]), (one, update_item, ["PATCH"]),
                                (one, remove_item, ["DELETE"]), (f"{one}/versions", item_versions, ["GET"]),
                                (f"{one}/restore", restore_item, ["POST"])):
        bp.add_url_rule(rule, f"{kind}_{view.__name__}", view, methods=methods)


for _path, _kind, _key in RESOURCES:
    _make_views(_path, _kind, _key)


@bp.post("/lines/<number>/staged")
@login_required(Role.admin)
def stage_line_change(number: str):
    """逐步整合: ``{"due_at": "2027-01-01T00:00:00+08:00", "changes": {...}, "note"?}``."""
    body = _body()
    errors = {}
    try:
        due_at = dt.datetime.fromisoformat(str(body.get("due_at")))
    except ValueError:
        errors["due_at"] = "a date and time, ISO 8601 with an offset (2027-01-01T00:00:00+08:00)"
    changes = body.get("changes")
    if not isinstance(changes, dict) or not changes:
        errors["changes"] = "an object of the fields to change"
    if errors:
        raise ConfigInvalid(f"staged change of line {number}", errors)
    s = database.session()
    row = staging.schedule(s, "line", number, changes, due_at, by=by(), note=body.get("note"))
    s.commit()
    return jsonify(staging.as_dict(row)), 201


@bp.get("/staged-changes")
@login_required(Role.admin)
def staged_changes():
    return jsonify([staging.as_dict(r) for r in staging.pending(database.session())])


@bp.delete("/staged-changes/<int:change_id>")
@login_required(Role.admin)
def cancel_staged_change(change_id: int):
    s = database.session()
    row = staging.cancel(s, change_id, by=by())
    s.commit()
    return jsonify(staging.as_dict(row))


@bp.post("/lines/<number>/greeting-recording")
@login_required(Role.admin)
def upload_greeting(number: str):
    """multipart/form-data with ``file``: a recording that wins over the greeting text."""
    s = database.session()
    current = versions.current(s, "line", number)
    if current is None:
        raise ConfigNotFound(f"there is no line {number}")
    upload = request.files.get("file")
    if upload is None:
        raise ConfigInvalid(f"recording for line {number}", {"file": "send the sound file as 'file'"})
    name = store_recording(current_app.config["HOTLINE_SETTINGS"], number, current["language"], upload.read(),
                           upload.filename or "")
    saved = versions.save(s, "line", number, {"greeting_recording": name}, by=by(), note="greeting recording")
    return jsonify(saved_body(saved, commit(s)))


@bp.get("/config-versions")
@login_required(Role.admin)
def recent_versions():
    return jsonify([versions.as_dict(v) for v in versions.recent(database.session())])
