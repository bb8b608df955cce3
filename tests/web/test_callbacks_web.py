"""``GET /api/v1/callbacks`` and the agents' list with one-click call back."""
from __future__ import annotations

import datetime as dt

import pytest
from jsonschema import Draft202012Validator

from db.models import Callback, CallbackStatus
from tests.support.web import post_form
from web.api import openapi_document


def _conforms(response, status: int) -> dict:
    """The JSON matches what web/openapi.yaml says of GET /callbacks with this status."""
    doc = openapi_document()
    spec = doc["paths"]["/callbacks"]["get"]["responses"][str(status)]
    if "$ref" in spec:
        spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    validator = Draft202012Validator({**spec["content"]["application/json"]["schema"],
                                      "components": doc["components"]})
    assert response.status_code == status
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


@pytest.fixture
def listed(app):
    with app.extensions["hotline_sessions"]() as s:
        now = dt.datetime(2026, 12, 1, 2, 0)
        rows = [Callback(caller="13800000011", centre_day=dt.date(2026, 12, 1), source="abandoned",
                         status=CallbackStatus.pending, due_at=now + dt.timedelta(minutes=30), created_at=now,
                         next_attempt_at=now),
                Callback(caller="anonymous", centre_day=dt.date(2026, 12, 1), source="abandoned",
                         status=CallbackStatus.undialable, due_at=now, created_at=now)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def test_the_list_and_its_figures(login, listed):
    body = _conforms(login("supervisor").get("/api/v1/callbacks?day=2026-12-01"), 200)
    assert [c["caller"] for c in body["callbacks"]] == ["anonymous", "13800000011"]
    assert body["callbacks"][1]["status"] == "pending" and body["callbacks"][1]["attempts"] == []
    assert body["figures"]["requests"] == 2 and body["figures"]["dialable"] == 1
    assert body["figures"]["callback_rate"] == 0.0
    only = login("agent").get("/api/v1/callbacks?status=undialable").get_json()["callbacks"]
    assert [c["caller"] for c in only] == ["anonymous"]


@pytest.mark.parametrize("query, field", [("day=yesterday", "day"), ("status=lost", "status"),
                                          ("limit=0", "limit"), ("limit=x", "limit")])
def test_bad_parameters_are_a_clear_400(login, query, field):
    body = _conforms(login("agent").get(f"/api/v1/callbacks?{query}"), 400)
    assert field in body["error"]["fields"]


@pytest.mark.parametrize("role, status", [("clerk", 403), (None, 401)])
def test_who_may_read_it(login, client, role, status):
    c = login(role) if role else client
    _conforms(c.get("/api/v1/callbacks"), status)


def test_one_click_queues_the_dialer_for_this_agent(app, login, listed):
    calls = []
    app.extensions["callback_dialer"] = lambda callback_id, agent: calls.append((callback_id, agent))
    agent = login("agent")
    page = agent.get("/agent/callbacks").get_data(as_text=True)
    assert "13800000011" in page and "anonymous" not in page and "一键回拨" in page
    response = post_form(agent, f"/agent/callbacks/{listed[0]}/call")
    assert response.status_code == 302 and calls == [(listed[0], "1001")]
    # an undialable (withheld) request is refused, nothing dialed
    post_form(agent, f"/agent/callbacks/{listed[1]}/call")
    assert calls == [(listed[0], "1001")]
