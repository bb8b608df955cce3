"""Open311 GeoReport v2 (``/open311/v2``): how web, SMS and WeChat channels create the same tickets as calls.

Endpoints: services, service definition, POST requests (api_key), GET requests
with its filters, GET request by id, token lookup; every answer in ``.json``
or ``.xml``; errors as a list of ``{code, description}`` with 400/403/404/405.
Reads follow the privacy rules of ``tickets.open311``: anonymous readers see
public requests only, a single one by its token; an ``api_key`` reads its
channel's own requests.
A created request is answered 200 with its id and token (the spec names no
other status, and old clients test for 200).
"""
from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from db.models import Ticket, Topic
from db.repositories import tickets as ticket_repo
from db.session import utcnow
from tickets import api_clients
from tickets import open311 as o311
from tickets.context import Actor
from tickets.errors import TicketError
from tickets.intake import create_ticket
from tickets.serialize import parse_time
from tickets.states import OPEN_STATES
from web import contract, edge
from web import ticket_views as tv
from web.auth import csrf_exempt

bp = Blueprint("open311", __name__, url_prefix="/open311")
bp.record_once(lambda state: tv.init_app(state.app))

FORMATS = ("json", "xml")
DEFAULT_DAYS = 90
MAX_RESULTS = 1000


class Open311Error(Exception):
    def __init__(self, code: int, *descriptions: str):
        self.code, self.descriptions = code, descriptions


def jurisdiction() -> str:
    return current_app.config.get("OPEN311_JURISDICTION", "12345.jinan")


def _render_edge_error(status: int, errors: dict[str, str], headers: dict[str, str]):
    """The edge's refusals (web.edge) in Open311's format; an unknown format is 404 like the views say."""
    if status == 400 and "format" in errors:
        status, errors = 404, {"": "format not supported: use .json or .xml"}
    response = _answer([{"code": status, "description": f"{name}: {why}" if name else why}
                        for name, why in errors.items()] or [{"code": status, "description": "refused"}],
                       "errors", "error", status=status)
    response.headers.update(headers)
    return response


edge.register_area(bp, "/open311", "open311", _render_edge_error)


@bp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return _answer([{"code": error.code, "description": d} for d in error.descriptions], "errors", "error",
                   status=error.code)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return _answer([{"code": error.code, "description": error.description}], "errors", "error", status=error.code)


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI document (web/open311.yaml)."""
    return jsonify(contract.document("open311"))


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    base = request.host_url.rstrip("/") + "/open311/v2/"
    doc = {"changeset": "2026-11-22T00:00:00Z", "contact": "12345 政务服务便民热线",
           "key_service": "ask the hotline centre's admin for an api_key",
           "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base, "changeset":
                          "2026-11-22T00:00:00Z", "type": "production", "formats": ["application/json", "text/xml"]}]}
    if _format(fmt) == "xml":
        return _xml_response(_to_xml("discovery", doc))
    return jsonify(doc)


@bp.get("/v2/services.<fmt>")
def services(fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction()
    return _answer([o311.service_dict(t) for t in o311.services(tv.db())], "services", "service", fmt=fmt)


@bp.get("/v2/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction()
    topic = next((t for t in o311.services(tv.db()) if t.code == service_code), None)
    if topic is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    doc = o311.definition(tv.db(), topic)
    if fmt == "xml":
        return _xml_response(_to_xml("service_definition", doc))
    return jsonify(doc)


@bp.post("/v2/requests.<fmt>")
@csrf_exempt
def post_request(fmt: str):
    fmt = _format(fmt)
    form = request.form if request.form else (request.get_json(silent=True) or {})
    _check_jurisdiction(form.get("jurisdiction_id"))
    s = tv.db()
    client = api_clients.authenticate(s, form.get("api_key") or request.args.get("api_key"))
    if client is None:
        raise Open311Error(403, "api_key is missing or not valid")
    data, errors = o311.draft_from_request(form, client.channel.value)
    if form.get("service_code") and not any(t.code == form["service_code"] for t in o311.services(s)):
        errors["service_code"] = f"service_code {form['service_code']!r} not found"
    try:
        if errors:
            raise Open311Error(400, *[f"{name}: {why}" for name, why in errors.items()])
        ticket = create_ticket(s, data, Actor(o311.submitter(client), "channel"),
                               timezone=current_app.config["HOTLINE_SETTINGS"].timezone)
        o311.mark_public(ticket, data["public"])
        s.commit()
    except TicketError as refused:
        s.rollback()
        raise Open311Error(400, *[f"{o311.PARAMETER_OF.get(name, name)}: {why}"
                                  for name, why in refused.fields.items()]) from None
    except Open311Error:
        s.rollback()
        raise
    notice = f"已受理, 工单号 {ticket.number}; 用 token 或工单号查询进度 Received: keep the number to follow it"
    return _answer([{"service_request_id": ticket.number, "token": ticket.public_token, "service_notice": notice,
                     "account_id": None}], "service_requests", "request", fmt=fmt)


@bp.get("/v2/requests.<fmt>")
def get_requests(fmt: str):
    fmt, args = _format(fmt), request.args
    _check_jurisdiction()
    client = _reader()
    query = select(Ticket).where(o311.owned_by(client) if client else o311.publicly_readable())
    ids = [v.strip().upper() for v in args.get("service_request_id", "").split(",") if v.strip()]
    if ids:  # the spec: with ids, the other filters are ignored
        query = query.where(Ticket.number.in_(ids))
    else:
        query = _filtered(query, args)
    tickets = tv.db().scalars(query.order_by(Ticket.created_at.desc()).limit(MAX_RESULTS))
    view = o311.OWNER if client else o311.PUBLIC
    return _answer([o311.request_dict(t, view) for t in tickets], "service_requests", "request", fmt=fmt)


@bp.get("/v2/requests/<service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str):
    """By number for the owner or a public request; by token (the receipt) for anyone holding it."""
    fmt = _format(fmt)
    _check_jurisdiction()
    s, client = tv.db(), _reader()
    ticket, view = ticket_repo.by_number(s, service_request_id), o311.OWNER
    if client is not None:
        ticket = ticket if ticket is not None and ticket.created_by == o311.submitter(client) else None
    elif ticket is not None and o311.is_public(ticket):
        view = o311.PUBLIC
    else:
        ticket, view = ticket_repo.by_token(s, service_request_id), o311.TOKEN
    if ticket is None:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    return _answer([o311.request_dict(ticket, view)], "service_requests", "request", fmt=fmt)


@bp.get("/v2/tokens/<token>.<fmt>")
def token_lookup(token: str, fmt: str):
    fmt = _format(fmt)
    _check_jurisdiction()
    ticket = ticket_repo.by_token(tv.db(), token)
    if ticket is None:
        raise Open311Error(404, f"token {token!r} not found")
    return _answer([{"service_request_id": ticket.number, "token": token}], "service_requests", "request", fmt=fmt)


# --- helpers -------------------------------------------------------------------
def _reader():
    """The channel client of the ``api_key`` query parameter; None when anonymous; 403 for a wrong key."""
    key = request.args.get("api_key")
    if not key:
        return None
    client = api_clients.authenticate(tv.db(), key)
    if client is None:
        raise Open311Error(403, "api_key is not valid")
    return client


def _filtered(query, args):
    problems = []
    codes = [c.strip() for c in args.get("service_code", "").split(",") if c.strip()]
    if codes:
        query = query.join(Topic, Topic.id == Ticket.topic_id).where(Topic.code.in_(codes))
    start, end = _when(args.get("start_date"), "start_date", problems), _when(args.get("end_date"), "end_date",
                                                                              problems)
    statuses = {s.strip() for s in args.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        problems.append(f"status: {', '.join(sorted(statuses - {'open', 'closed'}))} is not open or closed")
    window = dt.timedelta(days=DEFAULT_DAYS)  # the spec: a range spans at most 90 days, by default the last 90
    if start and end and start > end:
        problems.append("start_date: must not be after end_date")
    elif start and end and end - start > window:
        problems.append(f"end_date: the range may span at most {DEFAULT_DAYS} days")
    if problems:
        raise Open311Error(400, *problems)
    if start is None:

        start = (end or utcnow()) - window
    end = end or start + window
    query = query.where(Ticket.created_at >= start, Ticket.created_at <= end)
    if statuses == {"open"}:
        query = query.where(Ticket.state.in_(OPEN_STATES))
    elif statuses == {"closed"}:
        query = query.where(Ticket.state.not_in(OPEN_STATES))
    return query


def _when(value: str | None, name: str, problems: list[str]) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_time(value.replace(" ", "+"))  # an unencoded + in the query string arrives as a space
    except ValueError:
        problems.append(f"{name}: {value!r} is not a W3C date-time like 2026-03-01T00:00:00Z")
        return None


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} not supported: use .json or .xml")
    return fmt


def _check_jurisdiction(value: str | None = None) -> None:
    value = value if value is not None else request.args.get("jurisdiction_id")
    if value and value != jurisdiction():
        raise Open311Error(404, f"jurisdiction_id {value!r} not found; this endpoint serves {jurisdiction()!r}")


def _answer(items: list[dict], root: str, item: str, fmt: str | None = None, status: int = 200) -> Response:
    fmt = fmt or ("xml" if request.path.endswith(".xml") else "json")
    if fmt == "xml":
        element = ET.Element(root)
        for entry in items:
            element.append(_to_xml(item, entry))
        return _xml_response(element, status)
    response = jsonify(items)
    response.status_code = status
    return response


def _to_xml(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = ET.SubElement(element, key)
                for entry in inner:
                    holder.append(_to_xml(key[:-1] if key.endswith("s") else key, entry))
            else:
                element.append(_to_xml(key, inner))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def _xml_response(element: ET.Element, status: int = 200) -> Response:
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8",
                                                                        xml_declaration=False)
    return Response(body, status=status, content_type="text/xml; charset=utf-8")
