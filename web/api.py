"""JSON REST API of the tickets (``/api/v1``), described by ``web/openapi.yaml``.

For the panel's own scripts and the centre's other systems: the session login
of the web panel, a POST needs the ``X-CSRF-Token`` header. Channel gateways
(web form, SMS, WeChat) use the Open311 API with an api_key instead. Errors
are ``{"error": {"id", "message", "fields"?}}`` with the HTTP status.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from db.models import Role, Ticket, TicketState, Topic
from db.repositories import calls as call_repo
from db.repositories import tickets as ticket_repo
from tickets import open311 as o311
from tickets.errors import InvalidInput, TicketError, TicketNotFound
from tickets.intake import create_ticket
from tickets.serialize import event_as_dict, parse_time, ticket_as_dict
from tickets.workflow import transition
from web import contract, edge
from web import ticket_views as tv
from web.auth import login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.record_once(lambda state: tv.init_app(state.app))

ANY = tuple(r for r in Role if r is not Role.editor)  # a knowledge editor has no business with tickets
MAX_LIMIT = 200
ERROR_IDS = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed"}


def openapi_document() -> dict:
    return contract.document("rest")


def _render_edge_error(status: int, errors: dict[str, str], headers: dict[str, str]):
    """The edge's refusals in this API's error format (see web.edge)."""
    if status == 400 and "" not in errors:
        body = InvalidInput.of(errors).as_dict()
    elif status == 401:
        body = {"id": "login_required", "message": "log in first: POST /login, then send the session cookie"}
    else:
        body = {"id": ERROR_IDS.get(status, "http_error"), "message": errors.get("") or "refused"}
    return jsonify({"error": body}), status, headers


edge.register_area(bp, "/api/v1", "rest", _render_edge_error, login=True)


@bp.errorhandler(TicketError)
def _ticket_error(error: TicketError):
    return jsonify({"error": error.as_dict()}), error.status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return jsonify({"error": {"id": ERROR_IDS.get(error.code, "http_error"), "message": error.description}}), \
        error.code


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/topics")
@login_required(*ANY)
def topics():
    def node(topic: Topic) -> dict:
        return {"code": topic.code, "name": topic.name, "name_en": topic.name_en,
                "department": topic.department.code if topic.department else None,
                "children": [node(c) for c in topic.children if c.active]}
    return jsonify([node(t) for t in tv.topic_tree(tv.db())])


@bp.get("/departments")
@login_required(*ANY)
def departments():
    return jsonify([{"code": d.code, "name": d.name, "kind": d.kind.value,
                     "parent": d.parent.code if d.parent else None} for d in tv.dispatch_targets(tv.db())])


@bp.get("/tickets")
@login_required(*ANY)
def list_tickets():
    s, args = tv.db(), request.args
    errors: dict[str, str] = {}
    states = []
    for value in args.getlist("state"):
        try:
            states.append(TicketState(value))
        except ValueError:
            errors["state"] = f"{value!r} is not one of {', '.join(TicketState)}"
    limit = _int(args.get("limit"), "limit", 1, MAX_LIMIT, 50, errors)
    offset = _int(args.get("offset"), "offset", 0, 10**9, 0, errors)
    since, until = _date(args.get("since"), "since", errors), _date(args.get("until"), "until", errors)
    department_id = tv.department_id(s, args.get("department"))
    if args.get("department") and department_id is None:
        errors["department"] = f"unknown department {args['department']!r}"
    flags = {}
    for name in ("overdue", "supervised"):
        if args.get(name) not in (None, ""):
            if args[name] not in ("true", "false"):
                errors[name] = "true or false"
            flags[name] = args[name] == "true"
    if errors:
        raise InvalidInput.of(errors)
    tickets = ticket_repo.search(s, states=states or None, number=args.get("number"), phone=_phone_filter(),
                                 department_id=department_id, since=since, until=until, scope=_scope(),
                                 limit=limit, offset=offset, **flags)
    me = tv.actor()
    return jsonify({"tickets": [ticket_as_dict(t, me) for t in tickets], "limit": limit, "offset": offset})


@bp.post("/tickets")
@login_required(Role.agent, Role.reviewer)
def create():
    s, body = tv.db(), _json_body()
    calls = []
    if not isinstance(body.get("calls") or [], list):
        raise InvalidInput.of({"calls": "a list of call uniqueids"})
    for uniqueid in body.get("calls") or []:
        call = call_repo.get_by_uniqueid(s, str(uniqueid))
        if call is None:
            raise InvalidInput.of({"calls": f"unknown call {uniqueid!r}"})
        if g.user.role is Role.agent and (g.user.agent_id is None or call.agent_id != g.user.agent_id):
            raise InvalidInput.of({"calls": f"call {uniqueid!r} is not one you answered"})  # the centre may link any
        calls.append(call)
    then = body.get("then")
    if then is not None and not isinstance(then, dict):
        raise InvalidInput.of({"then": "an object like {\"event\": \"dispatch\", \"department\": \"cgj\"}"})
    try:
        ticket = create_ticket(s, body, tv.actor(), calls=calls,
                               timezone=current_app.config["HOTLINE_SETTINGS"].timezone)
        if then:
            transition(s, ticket, then.get("event", ""), tv.actor(), reason=then.get("reason"),
                       params=tv.event_params(then), policy=tv.policy())
        s.commit()
    except TicketError:
        s.rollback()
        raise
    return jsonify(ticket_as_dict(ticket, tv.actor())), 201


@bp.get("/tickets/<number>")
@login_required(*ANY)
def get_ticket(number: str):
    return jsonify(ticket_as_dict(_visible_ticket(number), tv.actor()))


@bp.get("/tickets/<number>/events")
@login_required(*ANY)
def ticket_events(number: str):
    ticket = _visible_ticket(number)
    return jsonify([event_as_dict(e) for e in ticket_repo.history(tv.db(), ticket)])


@bp.post("/tickets/<number>/transitions")
@login_required(*ANY)
def ticket_transition(number: str):
    body = _json_body()
    if not body.get("event"):
        raise InvalidInput.of({"event": "required: the event to apply, e.g. accept"})
    if body.get("version") is not None and not isinstance(body["version"], int):
        raise InvalidInput.of({"version": "the ticket's version as an integer"})
    scope = _scope()
    visible = None if scope is None else \
        (lambda t: tv.db().scalar(select(Ticket.id).where(Ticket.id == t.id, scope)) is not None)
    ticket = tv.apply_event(number, body["event"], body, scope=visible)
    return jsonify(ticket_as_dict(ticket, tv.actor()))


@bp.post("/tickets/<number>/publication")
@login_required(Role.reviewer, Role.supervisor, Role.admin)
def ticket_publication(number: str):
    """The centre publishes (or withdraws) the department's reply for Open311's anonymous readers."""
    body = _json_body()
    if not isinstance(body.get("reply_published"), bool):
        raise InvalidInput.of({"reply_published": "true or false"})
    s = tv.db()
    ticket = _visible_ticket(number)
    o311.publish_reply(s, ticket, tv.actor(), body["reply_published"])
    s.commit()
    return jsonify({"number": ticket.number, "public": ticket.public, "reply_published": ticket.reply_published})


# --- helpers -------------------------------------------------------------------
def _scope():
    """Clerks see their department's tickets only; the centre sees all."""
    return ticket_repo.visible_to_department(g.user.department_id) if g.user.role is Role.clerk else None


def _phone_filter() -> str | None:
    phone = request.args.get("phone")
    if phone and g.user.role is Role.clerk:
        raise InvalidInput.of({"phone": "departments cannot search by the citizen's number"})
    return phone


def _visible_ticket(number: str) -> Ticket:
    scope = _scope()
    query = select(Ticket).where(Ticket.number == number.strip().upper())
    ticket = tv.db().scalar(query if scope is None else query.where(scope))
    if ticket is None:
        raise TicketNotFound(f"there is no ticket {number}")
    return ticket


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput.of({"body": "send a JSON object with Content-Type: application/json"})
    if not isinstance(body, dict):
        raise InvalidInput.of({"body": "must be a JSON object"})
    return body


def _int(value, name: str, low: int, high: int, default: int, errors: dict) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        errors[name] = f"{value!r} is not a whole number"
        return default
    if not low <= number <= high:
        errors[name] = f"must be between {low} and {high}"
    return number


def _date(value, name: str, errors: dict) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        errors[name] = f"{value!r} is not an ISO 8601 date or time"
        return None
