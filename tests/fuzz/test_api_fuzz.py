"""Schemathesis against both OpenAPI documents, every operation, positive and negative data, all checks.

Once per role: the REST API (web/openapi.yaml) anonymously and as each role's demo user, the Open311 API
(web/open311.yaml) anonymously and as a channel with its api_key. The app is driven directly over WSGI, on
SQLite and PostgreSQL. No server error, no undocumented status or body, no accepted schema violation.

One deliberate setting: a request that fits the schema may still be refused with 400 by what only the data
knows (an unknown department code, a date range over 90 days), so 400 counts as an accepted answer to
positive data; negative data must still be rejected.
"""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test

from db.session import session_scope
from tests.fuzz.budget import HTTP
from tickets import api_clients

# Schema-valid data may still be refused by the data itself: 400 (an unknown department code), 409 (a
# state that forbids it), 422 (a configuration change that fails its own rules, e.g. an empty number).
POSITIVE_ANSWERS = ["2xx", "3xx", "400", "401", "403", "404", "409", "422"]
REST_ROLES = ("anonymous", "agent", "reviewer", "clerk", "supervisor", "admin")
OPEN311_ROLES = ("anonymous", "channel")


# Uploads (multipart with a binary part): schemathesis' negative phase builds parts it cannot
# serialise itself ("expected string or bytes-like object"), an error of the tool, not of the server.
# The upload is tested with real files in tests/centre_config and tests/web/test_config_admin.py.
NOT_FUZZED = {"POST /lines/{number}/greeting-recording"}


def fuzz(app, document_path: str, *, cookie: str | None = None, csrf: str | None = None,
         api_key: str | None = None) -> tuple[list[str], Counter]:
    """Every operation of the document, as schemathesis' pytest plugin runs it: the documented examples, the
    coverage phase (boundary and hostile values of every parameter, deterministic) and random fuzzing, each
    with positive and negative data; (failures, status counts)."""
    config = {"checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_ANSWERS}}}
    if cookie:
        config["auth"] = {"openapi": {"session": {"api_key": cookie}}}
    schema = schemathesis.openapi.from_wsgi(document_path, app, config=SchemathesisConfig.from_dict(config))
    failures, statuses = [], Counter()

    def call(case):
        if csrf and case.headers is not None and "X-CSRF-Token" in case.headers:
            case.headers["X-CSRF-Token"] = csrf  # the session's token: CSRF is not what is fuzzed
        if api_key and case.query is not None and "api_key" in case.query:
            case.query["api_key"] = api_key
        if api_key and isinstance(case.body, dict) and "api_key" in case.body:
            case.body["api_key"] = api_key
        statuses[case.call_and_validate().status_code] += 1

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in NOT_FUZZED:
            continue
        test = build_operation_test(config=schema.config, operation=operation, test_func=call, given_kwargs={},
                                    feedback=FeedbackSources(), explicit_settings=HTTP)
        try:
            test()
        except Exception as failure:  # schemathesis' FailureGroup, with the reproduction  # noqa: BLE001
            failures.append(f"{operation.label}: {failure}"[:3000])
    return failures, statuses


def session_of(client) -> str:
    return client.get_cookie("session").value


@pytest.mark.parametrize("role", REST_ROLES)
def test_rest_api_fuzzed_per_role(ticket_app, as_role, role):
    if role == "anonymous":
        failures, statuses = fuzz(ticket_app, "/api/v1/openapi.json")
        assert set(statuses) - {200, 400, 401, 404, 405} == set(), statuses  # 200: the document itself
    else:
        client = as_role(role)
        failures, statuses = fuzz(ticket_app, "/api/v1/openapi.json", cookie=session_of(client), csrf=client.csrf)
        assert statuses[200] > 0, statuses  # logged in for real: the reference lists answered
    assert not failures, "\n\n".join(failures)
    assert not [s for s in statuses if s >= 500]


@pytest.mark.parametrize("role", OPEN311_ROLES)
def test_open311_api_fuzzed_per_role(ticket_app, role):
    key = None
    if role == "channel":
        with session_scope(ticket_app.extensions["hotline_sessions"]) as s:
            key = api_clients.create(s, "fuzz-wechat", "wechat")
    failures, statuses = fuzz(ticket_app, "/open311/openapi.json", api_key=key)
    assert not failures, "\n\n".join(failures)
    assert statuses[200] > 0 and not [s for s in statuses if s >= 500], statuses
