"""The one contract (接口契约) of what the web edge accepts: ``web/openapi.yaml`` (REST) and ``web/open311.yaml``.

Requests of the APIs are validated against their document with openapi-core;
the web forms that write the same fields are checked against the same
component schemas (``form_errors``), so a form and an API client get the same
limits. Errors are ``{field: why}``; ``why`` never repeats the value (it may be
100,000 characters long).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import yaml
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from openapi_core import OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_schema_validator import OAS31Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

DOCUMENTS = {"rest": "openapi.yaml", "open311": "open311.yaml"}
HERE = Path(__file__).parent
TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
              "array": "a list", "object": "an object", "null": "null"}
FORM_TRUE, FORM_FALSE = {"true", "on", "1", "yes", "y", "是"}, {"false", "off", "0", "no", "n", "否"}


@cache
def document(name: str) -> dict:
    return yaml.safe_load((HERE / DOCUMENTS[name]).read_text(encoding="utf-8"))


@cache
def spec(name: str) -> OpenAPI:
    return OpenAPI.from_dict(document(name))


def public_paths(name: str) -> frozenset[str]:
    """The literal paths (server prefix included) whose every operation says ``security: []``."""
    doc = document(name)
    prefix = doc["servers"][0]["url"].rstrip("/")
    found = set()
    for path, item in doc["paths"].items():
        operations = [op for method, op in item.items() if method != "parameters"]
        if operations and all(op.get("security") == [] for op in operations):
            found.add(prefix + path)
    return frozenset(found)


class EdgeRequest:
    """openapi-core's view of a Flask request; a form body is given as UTF-8, as the edge decoded it."""

    def __init__(self, request):
        self.request = request
        self.parameters = RequestParameters(query=ImmutableMultiDict(request.args), header=Headers(request.headers),
                                            cookie=request.cookies)

    @property
    def host_url(self) -> str:
        return self.request.host_url

    @property
    def path(self) -> str:
        return self.request.root_path + self.request.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def content_type(self) -> str:
        if self.request.mimetype == "application/x-www-form-urlencoded":
            return "application/x-www-form-urlencoded"
        return self.request.content_type or "application/octet-stream"

    @property
    def body(self) -> bytes | None:
        if self.request.mimetype == "application/x-www-form-urlencoded":
            return urlencode(list(self.request.form.items(multi=True))).encode()
        return self.request.get_data(cache=True)


def request_errors(name: str, request) -> dict[str, str] | None:
    """{field: why} for a request of document ``name``; None when the document has no such operation."""
    errors: dict[str, str] = {}
    for error in spec(name).iter_request_errors(EdgeRequest(request)):
        if isinstance(error, PathError):
            return None
        if isinstance(error, SecurityValidationError):
            continue  # who may call what is the views' business (401/403), not the schema's
        if isinstance(error, ParameterValidationError):
            errors.setdefault(error.name, _cause(error) or "required")
        elif request.mimetype == "multipart/form-data":
            continue  # an upload: werkzeug has parsed its parts already, the view checks the file itself
        elif isinstance(error, MissingRequestBodyError):
            errors.setdefault("body", "required: send a JSON object with Content-Type: application/json")
        else:
            errors.update(_body_errors(error))
    return errors


def form_errors(schema_name: str, form: Mapping, name: str = "rest") -> dict[str, str]:
    """{field: why} for the fields of component schema ``schema_name`` that a web form (or a dict) carries.

    Blank form fields count as not given (the intake rules say what is required); text is coerced to the
    number, whole number or boolean the schema wants when it reads as one.
    """
    doc = document(name)
    schema = doc["components"]["schemas"][schema_name]
    value = {}
    for field, prop in schema.get("properties", {}).items():
        if field not in form:
            continue
        many = "array" in _types(prop, doc) and hasattr(form, "getlist")
        raw = [v for v in form.getlist(field) if v != ""] if many else form.get(field)
        if raw in (None, "", []):
            continue
        value[field] = _coerce(raw, _types(prop, doc))
    checked = {**schema, "required": [], "additionalProperties": True, "components": doc["components"]}
    validator = OAS31Validator(checked, format_checker=OAS31Validator.FORMAT_CHECKER)
    problems: dict[str, str] = {}
    for error in validator.iter_errors(value):
        problems.update(_schema_error(error))
    return problems


# --- from openapi-core's and jsonschema's errors to {field: why} ---------------------------------
def _cause(error) -> str | None:
    cause = error.__cause__
    if isinstance(cause, CastError):
        return f"must be {TYPE_WORDS.get(getattr(cause, 'type', ''), 'of the stated type')}"
    schema_errors = list(getattr(cause, "schema_errors", None) or [])
    if schema_errors:
        return next(iter(_schema_error(best_match(schema_errors)).values()))
    if cause is not None:
        return "not in the form this parameter takes"
    return None


def _body_errors(error) -> dict[str, str]:
    cause = error.__cause__
    if isinstance(cause, MediaTypeNotFound) or isinstance(error.__context__, MediaTypeNotFound):
        return {"body": "unsupported Content-Type: send application/json (or a form where the document says so)"}
    if isinstance(cause, DeserializeError):
        return {"body": "not valid JSON (or not a form body)"}
    schema_errors = list(getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None) or [])
    found: dict[str, str] = {}
    for schema_error in schema_errors:
        for field, why in _schema_error(schema_error).items():
            found.setdefault(field, why)
    return found or {"body": "does not match the document"}


def _schema_error(error: SchemaError) -> dict[str, str]:
    where = _field(error.absolute_path)
    kind, bound, instance = error.validator, error.validator_value, error.instance
    if kind in ("oneOf", "anyOf") and error.context:
        return _schema_error(best_match(error.context))
    if kind == "required":
        missing = [p for p in bound if isinstance(instance, dict) and p not in instance]
        return {_join(where, p): "required" for p in missing} or {where or "body": "required"}
    if kind == "dependentRequired":
        missing = {d: k for k, deps in bound.items() if isinstance(instance, dict) and k in instance
                   for d in deps if d not in instance}
        return {_join(where, d): f"required with {k}" for d, k in missing.items()} or {where or "body": "required"}
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = [p for p in instance if p not in known] if isinstance(instance, dict) else []
        return {_join(where, p): "unknown field" for p in extra} or {where or "body": "unknown field"}
    why = {
        "type": lambda: "must be " + " or ".join(TYPE_WORDS.get(t, t) for t in _listed(bound)),
        "maxLength": lambda: f"too long: at most {bound} characters",
        "minLength": lambda: "required" if instance == "" else f"too short: at least {bound} characters",
        "enum": lambda: f"{_shown(instance)} is not one of " + ", ".join(str(v) for v in bound),
        "pattern": lambda: "has characters or a form not allowed here",
        "format": lambda: f"not a valid {bound}",
        "maximum": lambda: _range(error.schema) or f"at most {bound}",
        "minimum": lambda: _range(error.schema) or f"at least {bound}",
        "maxItems": lambda: f"at most {bound} items",
        "minItems": lambda: f"at least {bound} items",
    }.get(kind, lambda: "does not match the document")()
    return {where or "body": why}


def _range(schema: dict) -> str | None:
    if "minimum" in schema and "maximum" in schema:
        return f"between {schema['minimum']} and {schema['maximum']}"
    return None


def _shown(value) -> str:
    """A short value as it was sent; a long or odd one only by its kind."""
    if isinstance(value, str) and len(value) <= 40 and value.isprintable():
        return repr(value)
    return "the value"


def _field(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _types(prop: dict, doc: dict) -> list[str]:
    while "$ref" in prop:
        prop = doc["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]
    if "type" in prop:
        return _listed(prop["type"])
    return [t for option in prop.get("oneOf", []) + prop.get("anyOf", []) for t in _types(option, doc)]


def _coerce(raw, types: list[str]):
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            number = float(text)
            if math.isfinite(number):
                return number
        except ValueError:
            pass
    if "boolean" in types and text.lower() in FORM_TRUE | FORM_FALSE:
        return text.lower() in FORM_TRUE
    return raw
