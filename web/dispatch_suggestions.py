"""Dispatch suggestions (智能派单) for the agent's ticket form: ``POST /api/v1/dispatch-suggestions``.

POST, not GET, because the description is the citizen's own words and should
not end up in URLs and access logs. The answer is a hint with probabilities;
the agent decides and the dispatch itself goes through the tickets API as
always. Only topics and departments a ticket can go to today are suggested.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from db.models import Role, Topic
from dispatch_suggest.store import CachedModel, last_run, model_path
from tickets.errors import InvalidInput, TicketError
from web import ticket_views as tv
from web.auth import login_required

bp = Blueprint("dispatch_suggestions", __name__, url_prefix="/api/v1")
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 255
DEFAULT_LIMIT, MAX_LIMIT = 3, 10
EXTENSION = "dispatch_suggest_model"


@bp.record_once
def _init(state) -> None:
    settings = state.app.config["HOTLINE_SETTINGS"]
    state.app.extensions[EXTENSION] = CachedModel(model_path(settings.run_dir))


@bp.errorhandler(TicketError)
def _invalid(error: TicketError):
    return jsonify({"error": error.as_dict()}), error.status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    ids = {400: "bad_request", 401: "login_required", 403: "forbidden", 405: "method_not_allowed"}
    return jsonify({"error": {"id": ids.get(error.code, "http_error"), "message": error.description}}), error.code


@bp.post("/dispatch-suggestions")
@login_required(Role.agent, Role.reviewer)
def suggest():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput.of({"body": "send a JSON object like {\"description\": \"…\"} "
                                       "with Content-Type: application/json"})
    errors: dict[str, str] = {}
    description = _text(body, "description", MAX_DESCRIPTION, errors)
    if not description and "description" not in errors:
        errors["description"] = "required: what the citizen asks or reports (诉求内容)"
    topic, address = _text(body, "topic", 32, errors), _text(body, "address", MAX_ADDRESS, errors)
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = f"a whole number from 1 to {MAX_LIMIT}"
    if errors:
        raise InvalidInput.of(errors)
    cached = current_app.extensions[EXTENSION]
    model = cached.get()
    if model is None:
        last = last_run(cached.path) or {}
        why = (f" Last training run {last.get('ran_at', '')}: {last['message']}"
               if last.get("status") == "not_enough_history" else "")
        return jsonify({"status": "no_model", "model": None, "topics": [], "departments": [],
                        "message": "还没有派单建议模型 No suggestion model yet: it is trained from the centre's "
                                   "accepted tickets by the nightly job once there is enough history." + why})
    s = tv.db()
    targets = {d.code: d.name for d in tv.dispatch_targets(s)}
    topics = {t.code: t.path for t in s.scalars(select(Topic).where(Topic.active.is_(True)))}
    if topic and topic not in topics:
        raise InvalidInput.of({"topic": f"unknown topic {topic!r}"})
    found = model.suggest(description, topic, address, k=len(model.department_codes) + len(topics))
    return jsonify({
        "status": "ok", "model": model.info(),
        "topics": [dict(r.as_dict(), name=topics[r.code]) for r in found.topics if r.code in topics][:limit],
        "departments": [dict(r.as_dict(), name=targets[r.code]) for r in found.departments
                        if r.code in targets][:limit],
        "message": "建议仅供参考, 由话务员决定 A hint only: the agent decides"})


def _text(body: dict, name: str, limit: int, errors: dict[str, str]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "must be text"
        return None
    value = value.strip()
    if len(value) > limit:
        errors[name] = f"too long: at most {limit} characters"
    return value or None
