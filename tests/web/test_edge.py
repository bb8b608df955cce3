"""The web edge: every input checked against one contract (web/openapi.yaml, web/open311.yaml) before any view.

NUL and control characters, over-long and wrongly typed values are 400 in the area's error format, never 500
(PostgreSQL refuses NUL in text, so these run on it too); form bodies are read in their declared charset
(GBK gateways); every Open311 method answers in Open311's format; anonymous REST calls are 401; only leaf
topics; a call is linked only by the agent who answered it, or the centre.
"""
from __future__ import annotations

import itertools
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from db.models import Agent, Call, Ticket
from db.session import session_scope, utcnow
from tests.support.web import post_form, post_json
from tickets import api_clients

V2 = "/open311/v2"
_numbers = itertools.count(13522200001)


@pytest.fixture(scope="module")
def key(ticket_app):
    with session_scope(ticket_app.extensions["hotline_sessions"]) as s:
        return api_clients.create(s, "edge-sms", "sms")


def open311_form(key, **overrides):
    data = {"api_key": key, "service_code": "urban-lighting", "attribute[category]": "help",
            "address_string": "市中区经七路1号", "description": "路灯不亮", "phone": str(next(_numbers))}
    data.update(overrides)
    return data


def open311_errors(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body, list) and body and all(set(e) == {"code", "description"} for e in body), body
    assert all(e["code"] == status for e in body)
    return [e["description"] for e in body]


def rest_fields(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert error["id"] == "invalid_input", error
    return error["fields"]


def description_of(db_session, number):
    with db_session() as s:
        return s.scalar(select(Ticket.description).where(Ticket.number == number))


def ticket_body(**overrides):
    body = {"category": "complaint", "topic": "urban-vending", "description": "占道经营",
            "caller_phone": str(next(_numbers))}
    body.update(overrides)
    return body


# --- NUL and control characters ---------------------------------------------------------------------
def test_nul_bytes_anywhere_are_400_not_500(ticket_app, as_role, key):
    anonymous = ticket_app.test_client()
    for path in (f"{V2}/requests/GD%00.json", f"{V2}/tokens/a%00.json", f"{V2}/requests.json?service_code=%00",
                 f"{V2}/services/a%01b.xml"):
        response = anonymous.get(path)
        assert response.status_code == 400, path
        if path.endswith(".xml"):
            assert ET.fromstring(response.data).tag == "errors"
        else:
            assert "control characters" in open311_errors(response)[0]
    assert "description" in open311_errors(anonymous.post(f"{V2}/requests.json",
                                                          data=open311_form(key, description="路灯\x00不亮")))[0]
    login = anonymous.post("/login", data={"username": "admin\x00", "password": "x"})
    assert login.status_code in (400, 401)  # the login strips it and audits the attempt (web.auth)
    assert anonymous.post("/login", data={"username": "admin", "password": "x", "csrf_token": "é"}).status_code == 400
    assert anonymous.post("/logout", headers={"X-CSRF-Token": "\xe9"}).status_code == 400
    reviewer = as_role("reviewer")
    assert rest_fields(reviewer.get("/api/v1/tickets?phone=%00")) == {"phone": "control characters are not allowed"}
    assert "description" in rest_fields(post_json(reviewer, "/api/v1/tickets", ticket_body(description="a\u0000b")))
    assert "then.reason" in rest_fields(post_json(reviewer, "/api/v1/tickets", ticket_body(
        then={"event": "dispatch", "department": "cgj", "reason": "\x1b[31m"})))
    lone_surrogate = b'{"category": "help", "topic": "urban-vending", "description": "\\ud800"}'
    response = reviewer.post("/api/v1/tickets", data=lone_surrogate, content_type="application/json",
                             headers={"X-CSRF-Token": reviewer.csrf})
    assert "description" in rest_fields(response)
    # a description may keep its line breaks and tabs
    created = post_json(reviewer, "/api/v1/tickets", ticket_body(description="第一行\n第二行\t完"))
    assert created.status_code == 201 and created.get_json()["description"] == "第一行\n第二行\t完"


# --- wrong types, over-long values -----------------------------------------------------------------------
def test_wrongly_typed_and_over_long_open311_input_is_400_in_open311_format(ticket_app, key):
    client = ticket_app.test_client()
    json_post = f"{V2}/requests.json"
    assert open311_errors(client.post(json_post, json=[open311_form(key)]))
    assert any(d.startswith("api_key") for d in open311_errors(client.post(json_post, json=open311_form([key]))))
    assert any(d.startswith("description: must be text")
               for d in open311_errors(client.post(json_post, json=open311_form(key, description=12345))))
    long_mail = "a" * 120 + "@example.cn"
    assert open311_errors(client.post(json_post, data=open311_form(key, email=long_mail))) == [
        "email: too long: at most 128 characters"]
    assert open311_errors(client.post(json_post, data=open311_form(key, description="长" * 4001))) == [
        "description: too long: at most 4000 characters"]
    assert open311_errors(client.get(f"{V2}/requests.json?start_date=" + "9" * 100))[0].startswith("start_date")
    numbers = client.post(json_post, json=open311_form(key, lat=36.65, long=117.12))  # JSON numbers are fine
    assert numbers.status_code == 200, numbers.get_data(as_text=True)
    assert any(d.startswith("lat") for d in open311_errors(client.post(json_post, json=open311_form(
        key, lat=91, long=117.12))))
    xml = client.post(f"{V2}/requests.xml", json={"api_key": 5})
    assert xml.status_code == 400 and ET.fromstring(xml.data).find("error/code").text == "400"


def test_wrongly_typed_and_over_long_rest_input_is_400_with_the_field(as_role):
    agent, reviewer = as_role("agent"), as_role("reviewer")
    assert rest_fields(post_json(agent, "/api/v1/tickets", [ticket_body()])) == {"body": "must be an object"}
    fields = rest_fields(post_json(agent, "/api/v1/tickets", ticket_body(
        caller_email="a" * 120 + "@example.cn", description=7, confidential="maybe", calls="x", colour="red")))
    assert fields == {"caller_email": "too long: at most 128 characters", "description": "must be text",
                      "confidential": "must be true or false", "calls": "must be a list", "colour": "unknown field"}
    number = post_json(agent, "/api/v1/tickets", ticket_body(then={"event": "dispatch", "department": "cgj"})) \
        .get_json()["number"]
    path = f"/api/v1/tickets/{number}/transitions"
    assert rest_fields(post_json(reviewer, path, {"event": "supervise", "reason": "x" * 100_000})) == {
        "reason": "too long: at most 2000 characters"}
    assert rest_fields(post_json(reviewer, path, {"event": "supervise", "reason": {"a": 1}})) == {
        "reason": "must be text"}
    assert rest_fields(reviewer.get("/api/v1/tickets?limit=abc&number=" + "9" * 40)) == {
        "limit": "must be a whole number", "number": "too long: at most 32 characters"}


def test_web_forms_follow_the_same_rules(as_role, db_session):
    from tests.web.test_tickets_loop import create_from_screen_pop, form, open_call

    agent = as_role("agent")
    uniqueid, caller = open_call(db_session)
    page = post_form(agent, "/agent/tickets", call_uniqueid=uniqueid, caller_phone=caller,
                     **form(caller_email="a" * 120 + "@example.cn", reason="理" * 2001))
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "too long: at most 128 characters" in text and "too long: at most 2000 characters" in text
    ticket = create_from_screen_pop(as_role, db_session)
    clerk = as_role("clerk")
    response = post_form(clerk, f"/department/tickets/{ticket.number}/return_to_center", reason="退" * 100_000,
                         version=str(ticket.version))
    assert response.status_code == 400 and "too long: at most 2000 characters" in response.get_data(as_text=True)
    unmask = post_form(clerk, f"/department/tickets/{ticket.number}/unmask", reason="看" * 2001)
    assert unmask.status_code == 400 and ticket.caller_phone not in unmask.get_data(as_text=True)


# --- charsets ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("charset", ["GBK", "gb2312", "GB18030"])
def test_form_bodies_are_read_in_their_declared_charset(ticket_app, key, db_session, charset):
    client = ticket_app.test_client()
    text = "小区门口路灯不亮, 晚上看不见路"
    fields = open311_form(key, description=text)
    raw = "&".join(f"{quote(k)}={v}" for k, v in fields.items()).encode("gb18030")  # raw GBK bytes
    percent = "&".join(f"{quote(k)}={quote(v, encoding='gb18030')}" for k, v in fields.items())  # %-encoded GBK
    for body in (raw, percent):
        response = client.post(f"{V2}/requests.json", data=body,
                               content_type=f"application/x-www-form-urlencoded; charset={charset}")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert description_of(db_session, response.get_json()[0]["service_request_id"]) == text


def test_a_body_not_in_its_charset_is_refused_clearly(ticket_app, key):
    client = ticket_app.test_client()
    gbk = f"api_key={key}&service_code=urban-lighting&description=路灯".encode("gbk")
    undeclared = client.post(f"{V2}/requests.json", data=gbk, content_type="application/x-www-form-urlencoded")
    assert "charset=GBK" in open311_errors(undeclared)[0]  # not a misleading 403 "api_key missing"
    unknown = client.post(f"{V2}/requests.json", data=b"a=b",
                          content_type="application/x-www-form-urlencoded; charset=klingon")
    assert "unknown charset" in open311_errors(unknown)[0]


# --- Open311: every method in its format; REST: 401 for anonymous calls ---------------------------------------
def test_every_open311_method_answers_in_open311_format(ticket_app):
    client = ticket_app.test_client()
    for method in ("put", "delete", "patch"):
        response = getattr(client, method)(f"{V2}/requests.json", data={"description": "x"})
        assert "not allowed" in open311_errors(response, 405)[0].lower(), method
        assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]
    xml = client.put(f"{V2}/requests/GD1.xml")
    assert xml.status_code == 405 and ET.fromstring(xml.data).tag == "errors"
    assert open311_errors(client.get(f"{V2}/nowhere.json"), 404)
    assert open311_errors(client.get(f"{V2}/services.csv"), 404)[0].startswith("format")


def test_anonymous_rest_calls_get_401_not_a_csrf_page(ticket_app):
    client = ticket_app.test_client()
    for response in (client.post("/api/v1/tickets", json=ticket_body()), client.get("/api/v1/tickets"),
                     client.post("/api/v1/tickets/GD1/transitions", json={"event": "accept"}),
                     client.post("/api/v1/tickets", data="[]", content_type="application/json")):
        assert response.status_code == 401 and response.get_json()["error"]["id"] == "login_required"
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/open311/openapi.json").get_json()["info"]["title"].endswith("GeoReport v2")


# --- what only the data knows ------------------------------------------------------------------------------
def test_only_leaf_topics_are_accepted(as_role):
    fields = rest_fields(post_json(as_role("agent"), "/api/v1/tickets", ticket_body(topic="urban")))
    assert set(fields) == {"topic"} and "urban-vending" in fields["topic"]


def test_a_call_is_linked_only_by_the_agent_who_answered_it_or_the_centre(ticket_app, as_role, db_session):
    with db_session() as s:
        agent2 = s.scalar(select(Agent).where(Agent.number == "1002"))
        uniqueids = []
        for _ in range(2):
            call = Call(uniqueid=f"edge-{next(_numbers)}", caller=str(next(_numbers)), dialed_number="12345",
                        agent=agent2, arrived_at=utcnow(), answered_at=utcnow(), ended_at=utcnow())
            s.add(call)
            uniqueids.append(call.uniqueid)
        s.commit()
    refused = post_json(as_role("agent"), "/api/v1/tickets", ticket_body(calls=[uniqueids[0]]))
    assert rest_fields(refused) == {"calls": f"call {uniqueids[0]!r} is not one you answered"}
    own = post_json(as_role("agent2"), "/api/v1/tickets", ticket_body(calls=[uniqueids[0]]))
    assert own.status_code == 201 and [c["uniqueid"] for c in own.get_json()["calls"]] == [uniqueids[0]]
    centre = post_json(as_role("reviewer"), "/api/v1/tickets", ticket_body(calls=[uniqueids[1]]))
    assert centre.status_code == 201


def test_the_open311_document_is_valid_and_covers_every_route(ticket_app):
    from openapi_spec_validator import validate as validate_spec

    from web.contract import document

    doc = document("open311")
    validate_spec(doc)
    routes = {(rule.rule.removeprefix("/open311").replace("<fmt>", "{format}"), method.lower())
              for rule in ticket_app.url_map.iter_rules() if rule.rule.startswith("/open311")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    routes = {(path.replace("<service_code>", "{service_code}").replace("<service_request_id>", "{service_request_id}")
               .replace("<token>", "{token}"), method) for path, method in routes}
    documented = {(path, method) for path, item in doc["paths"].items() for method in item if method != "parameters"}
    assert routes == documented
