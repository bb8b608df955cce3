"""The JSON REST API: every answer checked against its OpenAPI document; bad input → 400 with the field and why."""
from __future__ import annotations

import itertools
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from tests.support.web import post_json
from web.api import openapi_document

DOC = openapi_document()
_phones = itertools.count(13655500001)


def conforms(response, path: str, method: str = "get"):
    """The response's JSON matches the schema the document gives for this path, method and status."""
    spec = DOC["paths"][path][method]["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = DOC["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    schema = spec["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": DOC["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


def new_ticket(client, **overrides):
    body = {"category": "complaint", "topic": "urban-vending", "description": "夜市摊贩占用人行道",
            "caller_phone": str(next(_phones)), "district": "shizhong", "address": "经四路123号"}
    body.update(overrides)
    return post_json(client, "/api/v1/tickets", body)


def test_the_document_is_valid_openapi_and_covers_every_route(ticket_app):
    validate_spec(DOC)
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method.lower())
              for rule in ticket_app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in DOC["paths"].items() for method in item if method != "parameters"}
    assert routes == documented


def test_reference_lists(as_role):
    agent = as_role("agent")
    topics = conforms(agent.get("/api/v1/topics"), "/topics")
    assert "urban-vending" in {c["code"] for t in topics for c in t["children"]}
    departments = conforms(agent.get("/api/v1/departments"), "/departments")
    codes = {d["code"] for d in departments}
    assert {"scjgj", "cgj", "lixia", "quanchenglu"} <= codes and "city" not in codes and "hotline" not in codes


def test_create_and_dispatch_in_one_request(as_role):
    response = new_ticket(as_role("agent"), then={"event": "dispatch", "department": "cgj",
                                                  "co_departments": ["shizhong"], "reason": "请尽快处置"})
    assert response.status_code == 201
    ticket = conforms(response, "/tickets", "post")
    assert ticket["state"] == "dispatched" and ticket["department"]["code"] == "cgj"
    assert [d["code"] for d in ticket["co_departments"]] == ["shizhong"]
    assert ticket["deadlines"]["accept_due_at"].endswith("Z") and ticket["citizen"]["phone"].startswith("136")
    assert ticket["allowed_events"] == ["merge"]  # an agent cannot redispatch or supervise, only merge a duplicate


def test_bad_input_says_which_field_and_why_and_creates_nothing(as_role):
    agent = as_role("agent")
    before = agent.get("/api/v1/tickets?limit=200").get_json()["tickets"]
    response = new_ticket(agent, category="rumour", topic="", latitude=123, caller_phone="abc")
    assert response.status_code == 400
    error = conforms(response, "/tickets", "post")["error"]
    assert error["id"] == "invalid_input"
    assert set(error["fields"]) == {"category", "topic", "latitude", "longitude", "caller_phone"}
    assert "'rumour' is not one of" in error["fields"]["category"]
    # a valid ticket with an impossible first step is not created either
    response = new_ticket(agent, then={"event": "dispatch", "department": "atlantis"})
    assert response.status_code == 400 and response.get_json()["error"]["fields"] == {
        "department": "unknown department 'atlantis'"}
    assert agent.get("/api/v1/tickets?limit=200").get_json()["tickets"] == before


@pytest.mark.parametrize("body,field", [
    ("not json", "body"), ([1, 2], "body"),
    ({"category": "help", "topic": "urban-vending", "description": "占道", "calls": ["nope"]}, "calls"),
    ({"category": "help", "then": "dispatch"}, "then"),
])
def test_malformed_bodies(as_role, body, field):
    client = as_role("reviewer")
    if isinstance(body, str):
        response = client.post("/api/v1/tickets", data=body, content_type="application/json",
                               headers={"X-CSRF-Token": client.csrf})
    else:
        response = post_json(client, "/api/v1/tickets", body)
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]


def test_a_post_without_the_csrf_header_is_refused(as_role):
    response = as_role("agent").post("/api/v1/tickets", json={"category": "help"})
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]["message"]


def test_transitions_refuse_clearly(as_role):
    agent, clerk, reviewer = as_role("agent"), as_role("clerk"), as_role("reviewer")
    ticket = new_ticket(agent, then={"event": "dispatch", "department": "scjgj"}).get_json()
    path = f"/api/v1/tickets/{ticket['number']}/transitions"

    accepted = post_json(clerk, path, {"event": "accept", "version": ticket["version"]})
    assert accepted.status_code == 200
    after = conforms(accepted, "/tickets/{number}/transitions", "post")
    assert after["state"] == "accepted" and after["version"] == ticket["version"] + 1
    assert after["citizen"]["phone"] == ticket["citizen"]["phone"][:3] + "****" + ticket["citizen"]["phone"][-4:]
    assert "reply" in after["allowed_events"]

    cases = [
        (clerk, {"event": "reply", "version": ticket["version"], "reply": "已处理完毕"}, 409, "conflict"),
        (clerk, {"event": "accept"}, 409, "illegal_transition"),
        (reviewer, {"event": "reply", "reply": "已处理完毕"}, 403, "not_allowed"),
        (clerk, {"event": "reply", "reply": "好"}, 400, "invalid_input"),
        (clerk, {"event": "teleport"}, 400, "invalid_input"),
        (clerk, {"reason": "no event"}, 400, "invalid_input"),
        (clerk, {"event": "accept", "version": "7"}, 400, "invalid_input"),
    ]
    for client, body, status, error_id in cases:
        response = post_json(client, path, body)
        assert response.status_code == status, (body, response.get_json())
        assert conforms(response, "/tickets/{number}/transitions", "post")["error"]["id"] == error_id, body
    ticket_now = clerk.get(f"/api/v1/tickets/{ticket['number']}").get_json()
    assert ticket_now["version"] == after["version"]  # none of the refusals changed anything

    events = conforms(clerk.get(f"/api/v1/tickets/{ticket['number']}/events"), "/tickets/{number}/events")
    assert [(e["event"], e["from_state"], e["to_state"]) for e in events] == [
        ("create", None, "intake"), ("dispatch", "intake", "dispatched"), ("accept", "dispatched", "accepted")]


def test_departments_see_only_their_scope(as_role):
    agent, clerk, other = as_role("agent"), as_role("clerk"), as_role("clerk_lixia")
    ticket = new_ticket(agent, then={"event": "dispatch", "department": "scjgj"}).get_json()
    assert other.get(f"/api/v1/tickets/{ticket['number']}").status_code == 404
    response = post_json(other, f"/api/v1/tickets/{ticket['number']}/transitions", {"event": "accept"})
    assert response.status_code == 404 and response.get_json()["error"]["id"] == "not_found"
    mine = conforms(clerk.get("/api/v1/tickets?state=dispatched&limit=200"), "/tickets")["tickets"]
    assert ticket["number"] in [t["number"] for t in mine]
    assert all(t["department"]["code"] == "scjgj" or "scjgj" in [c["code"] for c in t["co_departments"]]
               or (t["line"] and t["line"]["department"]["code"] == "scjgj") for t in mine)
    assert ticket["number"] not in [t["number"] for t in other.get("/api/v1/tickets").get_json()["tickets"]]
    refused = clerk.get(f"/api/v1/tickets?phone={ticket['citizen']['phone']}")
    assert refused.status_code == 400 and "phone" in refused.get_json()["error"]["fields"]


def test_list_filters_and_their_errors(as_role):
    reviewer = as_role("reviewer")
    ticket = new_ticket(as_role("agent")).get_json()
    found = reviewer.get(f"/api/v1/tickets?phone={ticket['citizen']['phone']}&state=intake").get_json()
    assert [t["number"] for t in found["tickets"]] == [ticket["number"]]
    assert reviewer.get(f"/api/v1/tickets?number={ticket['number']}&since=2099-01-01").get_json()["tickets"] == []
    # what the document states is checked at the edge, all at once; then what only the data knows
    response = reviewer.get("/api/v1/tickets?state=lost&limit=0&since=yesterday&department=mars&overdue=maybe")
    assert response.status_code == 400
    assert set(conforms(response, "/tickets")["error"]["fields"]) == {"state", "limit", "since", "overdue"}
    response = reviewer.get("/api/v1/tickets?department=mars")
    assert conforms(response, "/tickets")["error"]["fields"] == {"department": "unknown department 'mars'"}
