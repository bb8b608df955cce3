"""The web edge (入口校验): every request is checked here, before login, CSRF or any view.

In this order, for every path:

1. a form body is decoded with the ``charset`` of its Content-Type (GBK and
   GB2312 read as GB18030, their superset; UTF-8 when none is given); a body
   that is not in its charset is refused;
2. no text may hold NUL or other control characters (tab, line feed and
   carriage return are allowed in bodies), nor lone surrogates: the path, the
   query, form fields and JSON strings; a CSRF token (form field or header)
   is made of token characters only;

and for the API areas (``/api/v1`` REST, ``/open311`` Open311), each of
which answers every error in its own format:

3. an unknown path or method is 404/405 in the area's format (not a CSRF page);
4. anonymous REST calls get 401 (before CSRF is looked at);

then, after login and CSRF (``check_contract``, an app-wide hook registered
with the area's blueprint), unless the user's role may not call the view at all (the
view answers 403 then):

5. the request is validated against the area's OpenAPI document
   (``web.contract``): 400 with the fields and why.

An area registers itself with ``register_area(bp, prefix, contract, render)``;
``render(status, errors, headers)`` answers in the area's error format.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import Request, Response, abort, current_app, g, request, session
from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from werkzeug.formparser import FormDataParser

from web import contract

CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")           # paths and query values: one line, no controls
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # bodies: tab, LF and CR allowed
SURROGATE = re.compile(r"[\ud800-\udfff]")
TOKEN = re.compile(r"[A-Za-z0-9_.=-]{0,256}")  # URL-safe tokens, signed ones (itsdangerous) too
SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "euc-cn": "gb18030", "cp936": "gb18030"}
HIGH_BYTE = re.compile(rb"[\x80-\xff]")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# views that take control characters apart themselves: the login strips them and audits the attempt
TEXT_CHECKED_BY_VIEW = {"auth.login"}
# where a login keeps its user in the session: web.auth's own key, and Flask-Login's
LOGIN_KEYS = ("user_id", "_user_id")


@dataclass(frozen=True)
class Area:
    prefix: str
    contract: str
    render: Callable[[int, dict[str, str], dict[str, str]], Response]
    login: bool  # anonymous calls get 401


AREAS: list[Area] = []


def register_area(bp, prefix: str, contract_name: str, render, *, login: bool = False) -> None:
    """The blueprint ``bp`` serves ``prefix`` under the OpenAPI document ``contract_name``."""
    if not any(a.prefix == prefix for a in AREAS):
        AREAS.append(Area(prefix, contract_name, render, login))
    # app-wide, so other blueprints serving the prefix (e.g. /api/v1/kpis) are checked too; registered
    # with the blueprint, hence after web.auth's login and CSRF hooks
    bp.before_app_request(check_contract)


def init_app(app) -> None:
    """Call before any other ``before_request`` hook is registered (auth's CSRF check reads the form)."""
    app.request_class = EdgeRequest
    app.before_request(check_request)
    app.register_error_handler(HTTPException, _area_http_error)


# --- 1. charset ---------------------------------------------------------------------------
class CharsetFormDataParser(FormDataParser):
    """URL-encoded bodies decoded with their declared charset, raw or percent-encoded alike."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        charset = (options.get("charset") or "utf-8").strip().strip('"').lower()
        try:
            charset = SUPERSET.get(codecs.lookup(charset).name, codecs.lookup(charset).name)
        except LookupError:
            raise BadRequest(f"unknown charset {charset[:40]!r} in Content-Type: use UTF-8 or GBK") from None
        raw = stream.read()
        ascii_text = HIGH_BYTE.sub(lambda m: b"%%%02X" % m.group()[0], raw).decode("ascii")
        try:
            items = parse_qsl(ascii_text, keep_blank_values=True, encoding=charset, errors="strict")
        except UnicodeDecodeError:
            raise BadRequest(f"the form body is not valid {charset}: declare its charset in Content-Type, "
                             "e.g. application/x-www-form-urlencoded; charset=GBK") from None
        return stream, self.cls(items), self.cls()


class EdgeRequest(Request):
    form_data_parser_class = CharsetFormDataParser


# --- the hook ---------------------------------------------------------------------------------
def check_request():
    area = area_of(request.path)
    if area is not None and isinstance(request.routing_exception, NotFound | MethodNotAllowed):
        raise request.routing_exception
    problems = text_problems()
    if problems:
        if area is None:
            abort(400, description="; ".join(f"{name}: {why}" for name, why in problems.items()))
        return area.render(400, problems, {})
    if area is None or request.url_rule is None:
        return None
    if area.login and not any(session.get(k) for k in LOGIN_KEYS) and \
            request.path not in contract.public_paths(area.contract):
        return area.render(401, {}, {})  # a stale login (user gone, session revoked) gets its 401 from the view
    return None


def check_contract():
    """5: the area's OpenAPI document (after login and CSRF; a role the view refuses anyway gets its 403)."""
    area = area_of(request.path)
    if area is None or request.url_rule is None or g.get("edge_contract_checked"):
        return None
    g.edge_contract_checked = True
    roles = getattr(current_app.view_functions.get(request.endpoint), "allowed_roles", ())
    user = g.get("user")
    if roles and (user is None or user.role not in roles):
        return None
    errors = contract.request_errors(area.contract, request)
    if errors:
        return area.render(400, errors, {})
    return None


def area_of(path: str) -> Area | None:
    return next((a for a in AREAS if path == a.prefix or path.startswith(a.prefix + "/")), None)


def _area_http_error(error: HTTPException):
    area = area_of(request.path)
    if area is None:
        return error
    headers = {"Allow": ", ".join(error.valid_methods)} if isinstance(error, MethodNotAllowed) and \
        error.valid_methods else {}
    return area.render(error.code or 500, {"": error.description or error.name}, headers)


# --- 2. control characters --------------------------------------------------------------------
def text_problems() -> dict[str, str]:
    """{where: why} for text with control characters or lone surrogates anywhere in the request."""
    problems: dict[str, str] = {}
    if request.endpoint in TEXT_CHECKED_BY_VIEW:
        return _token_problems(problems)
    if _bad(request.path, CONTROL_IN_LINE):
        problems["path"] = "control characters are not allowed"
    for name, value in request.args.items(multi=True):
        if _bad(name, CONTROL_IN_LINE) or _bad(value, CONTROL_IN_LINE):
            problems[_printable(name)] = "control characters are not allowed"
    if request.mimetype in FORMS:
        for name, value in request.form.items(multi=True):
            if _bad(name, CONTROL_IN_TEXT) or _bad(value, CONTROL_IN_TEXT):
                problems[_printable(name)] = "control characters are not allowed"
    elif request.is_json and request.content_length != 0:
        _walk_json(request.get_json(silent=True), "", problems)
    return _token_problems(problems)


def _token_problems(problems: dict[str, str]) -> dict[str, str]:
    for name, sent in (("X-CSRF-Token", request.headers.get("X-CSRF-Token")),
                       ("csrf_token", request.form.get("csrf_token") if request.mimetype in FORMS else None)):
        if sent is not None and not TOKEN.fullmatch(sent):
            problems[name] = "not a CSRF token: reload the page and try again"
    return problems


def _walk_json(value, where: str, problems: dict[str, str]) -> None:
    if isinstance(value, str):
        if _bad(value, CONTROL_IN_TEXT):
            problems[where or "body"] = "control characters are not allowed"
    elif isinstance(value, dict):
        for key, inner in value.items():
            field = f"{where}.{key}" if where else str(key)
            if _bad(key, CONTROL_IN_TEXT):
                problems[_printable(field)] = "control characters are not allowed in names"
            else:
                _walk_json(inner, field, problems)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _walk_json(inner, f"{where}[{index}]", problems)


def _bad(text: str, pattern: re.Pattern) -> bool:
    return bool(pattern.search(text) or SURROGATE.search(text))


def _printable(name: str) -> str:
    return SURROGATE.sub("?", CONTROL_IN_LINE.sub("?", name))[:64]
