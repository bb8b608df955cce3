"""Open311 GeoReport v2: a channel client (WeChat gateway) creates and follows tickets; JSON and XML; errors."""
from __future__ import annotations

import datetime as dt
import itertools
from xml.etree import ElementTree as ET

import pytest

from db.session import session_scope, utcnow
from tests.support.web import post_json
from tickets import api_clients

_phones = itertools.count(13766600001)
V2 = "/open311/v2"


@pytest.fixture(scope="module")
def api_key(ticket_app, db_session):
    factory = ticket_app.extensions["hotline_sessions"]
    with session_scope(factory) as s:
        key = api_clients.create(s, "wechat-gateway", "wechat")
        retired = api_clients.create(s, "old-sms", "sms")
        s.flush()
        from db.models import ApiClient

        s.query(ApiClient).filter_by(name="old-sms").one().active = False
    return {"good": key, "retired": retired}


def request_form(api_key, **overrides):
    data = {"api_key": api_key, "service_code": "urban-lighting", "attribute[category]": "help",
            "lat": "36.6512", "long": "117.1201", "address_string": "历下区泉城路与县西巷交叉口",
            "description": "路灯连续三晚不亮, 行人看不清路", "first_name": "伟", "last_name": "李",
            "phone": str(next(_phones)), "email": "li.wei@example.cn"}
    data.update(overrides)
    return data


def errors_of(response) -> list[tuple[int, str]]:
    return [(e["code"], e["description"]) for e in response.get_json()]


def test_discovery_and_service_list_in_both_formats(ticket_app):
    client = ticket_app.test_client()
    assert client.get("/open311/discovery.json").get_json()["endpoints"][0]["url"].endswith("/open311/v2/")
    services = client.get(f"{V2}/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert {"urban-lighting", "market-food", "utilities-water"} <= codes and "urban" not in codes  # leaves only
    lighting = next(s for s in services if s["service_code"] == "urban-lighting")
    assert lighting == {"service_code": "urban-lighting", "service_name": "路灯照明", "description": "Street lights",
                        "metadata": True, "type": "realtime", "keywords": "路灯,不亮", "group": "城市管理"}
    response = client.get(f"{V2}/services.xml")
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.data)
    assert root.tag == "services" and {s.findtext("service_code") for s in root.findall("service")} == codes
    assert root.find("service/metadata").text == "true"


def test_service_definition(ticket_app):
    client = ticket_app.test_client()
    definition = client.get(f"{V2}/services/urban-lighting.json").get_json()
    assert definition["service_code"] == "urban-lighting"
    category = next(a for a in definition["attributes"] if a["code"] == "category")
    assert category["required"] and category["datatype"] == "singlevaluelist"
    assert {"key": "complaint", "name": "投诉"} in category["values"]
    root = ET.fromstring(client.get(f"{V2}/services/urban-lighting.xml").data)
    assert root.tag == "service_definition"
    assert [a.findtext("code") for a in root.findall("attributes/attribute")] == ["category", "district",
                                                                                  "confidential", "public"]
    assert root.find("attributes/attribute/values/value/key").text == "consultation"
    missing = client.get(f"{V2}/services/no-such-service.json")
    assert missing.status_code == 404 and errors_of(missing) == [(404, "service_code 'no-such-service' not found")]


def test_post_needs_a_valid_api_key(ticket_app, api_key):
    client = ticket_app.test_client()
    for key in (None, "wrong", api_key["retired"]):
        data = request_form(key) if key else {k: v for k, v in request_form("x").items() if k != "api_key"}
        response = client.post(f"{V2}/requests.json", data=data)
        assert response.status_code == 403 and errors_of(response) == [(403, "api_key is missing or not valid")]


def test_post_errors_name_the_parameter_and_why(ticket_app, api_key):
    client = ticket_app.test_client()
    response = client.post(f"{V2}/requests.json", data={"api_key": api_key["good"]})
    assert response.status_code == 400
    assert {d.split(":")[0] for _, d in errors_of(response)} == {"service_code", "location"}
    response = client.post(f"{V2}/requests.json", data=request_form(api_key["good"], service_code="urban"))
    assert errors_of(response) == [(400, "service_code: service_code 'urban' not found")]
    # the document's rules first (web/open311.yaml), all at once
    response = client.post(f"{V2}/requests.json", data=request_form(
        api_key["good"], **{"attribute[category]": "gossip", "phone": "abc"}))
    assert response.status_code == 400
    described = dict(d.split(": ", 1) for _, d in errors_of(response))
    assert set(described) == {"attribute[category]", "phone"}
    assert described["attribute[category]"].startswith("'gossip' is not one of consultation, help")
    # then the intake rules
    response = client.post(f"{V2}/requests.json", data=request_form(api_key["good"], long="", description=""))
    described = dict(d.split(": ", 1) for _, d in errors_of(response))
    assert set(described) == {"long", "description"}
    assert described["long"] == "required with the other coordinate"
    xml = client.post(f"{V2}/requests.xml", data={"api_key": api_key["good"]})
    root = ET.fromstring(xml.data)
    assert xml.status_code == 400 and root.tag == "errors" and root.find("error/code").text == "400"


def test_a_wechat_request_becomes_a_ticket_the_centre_dispatches(ticket_app, api_key, as_role, db_session):
    client = ticket_app.test_client()
    form = request_form(api_key["good"], **{"attribute[district]": "lixia"})
    response = client.post(f"{V2}/requests.json", data=form)
    assert response.status_code == 200, response.get_data(as_text=True)
    [created] = response.get_json()
    number, token = created["service_request_id"], created["token"]
    assert number.startswith("GD") and token and number in created["service_notice"]

    reviewer = as_role("reviewer")
    ticket = reviewer.get(f"/api/v1/tickets/{number}").get_json()
    assert (ticket["channel"], ticket["state"], ticket["category"]) == ("wechat", "intake", "help")
    assert ticket["citizen"] == {"name": "李伟", "phone": form["phone"], "email": "li.wei@example.cn"}
    assert ticket["location"]["district"]["code"] == "lixia" and ticket["location"]["latitude"] == 36.6512
    assert number in reviewer.get("/centre/").get_data(as_text=True).split("To dispatch")[1].split("Returns")[0]
    with db_session() as s:
        from db.repositories import tickets as ticket_repo

        assert ticket_repo.by_number(s, number).created_by == "open311:wechat-gateway"

    assert client.get(f"{V2}/tokens/{token}.json").get_json() == [{"service_request_id": number, "token": token}]
    [own] = client.get(f"{V2}/requests/{number}.json?api_key={api_key['good']}").get_json()
    assert own["status"] == "open" and own["service_code"] == "urban-lighting"
    assert form["phone"] not in str(own) and "李" not in str(own)  # no personal data in any answer
    assert own["requested_datetime"].endswith("Z") and own["lat"] == 36.6512

    # the loop runs; the citizen's app sees it closed with the answer
    clerk = as_role("clerk_cgj")
    for client_, body in ((reviewer, {"event": "dispatch", "department": "cgj"}), (clerk, {"event": "accept"}),
                          (clerk, {"event": "reply", "reply": "已更换路灯灯泡, 恢复照明"}),
                          (reviewer, {"event": "approve_reply"}),
                          (reviewer, {"event": "close", "reason": "市民在微信确认已修复"})):
        assert post_json(client_, f"/api/v1/tickets/{number}/transitions", body).status_code == 200, body
    root = ET.fromstring(client.get(f"{V2}/requests/{number}.xml?api_key={api_key['good']}").data)
    assert root.tag == "service_requests" and root.find("request/status").text == "closed"
    assert "已更换路灯灯泡" in root.find("request/status_notes").text
    assert root.find("request/agency_responsible").text == "济南市城市管理局"


def test_get_requests_filters(ticket_app, api_key):
    client, key = ticket_app.test_client(), f"api_key={api_key['good']}"
    numbers = [client.post(f"{V2}/requests.json", data=request_form(api_key["good"], service_code=code))
               .get_json()[0]["service_request_id"] for code in ("env-noise", "env-noise", "env-air")]
    by_id = client.get(f"{V2}/requests.json?{key}&service_request_id={numbers[0]},{numbers[2]}&status=closed")
    by_id = by_id.get_json()
    assert {r["service_request_id"] for r in by_id} == {numbers[0], numbers[2]}  # ids win over other filters
    noise = client.get(f"{V2}/requests.json?{key}&service_code=env-noise&status=open").get_json()
    assert {numbers[0], numbers[1]} <= {r["service_request_id"] for r in noise}
    assert all(r["service_code"] == "env-noise" and r["status"] == "open" for r in noise)
    assert client.get(f"{V2}/requests.json?{key}&service_code=env-air&status=closed").get_json() == []
    assert client.get(f"{V2}/requests.json?{key}&service_code=env-air&end_date=2020-01-01T00:00:00Z").get_json() == []
    assert client.get(f"{V2}/requests.json?{key}&service_code=env-air&start_date=2020-01-01T00:00:00Z").get_json() == []
    since = (utcnow() - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    recent = client.get(f"{V2}/requests.json?{key}&service_code=env-air&start_date={since}%2B08:00")
    assert numbers[2] in {r["service_request_id"] for r in recent.get_json()}
    too_long = client.get(f"{V2}/requests.json?{key}&start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")
    assert errors_of(too_long) == [(400, "end_date: the range may span at most 90 days")]
    bad = client.get(f"{V2}/requests.json?{key}&start_date=monday&status=lost")
    assert bad.status_code == 400 and len(errors_of(bad)) == 2
    backwards = client.get(f"{V2}/requests.json?{key}&start_date=2026-03-02T00:00:00Z&end_date=2026-03-01T00:00:00Z")
    assert errors_of(backwards) == [(400, "start_date: must not be after end_date")]


def test_unknowns_are_404_in_the_open311_error_format(ticket_app):
    client = ticket_app.test_client()
    for path in (f"{V2}/requests/GD000.json", f"{V2}/tokens/nope.json", f"{V2}/services.csv",
                 f"{V2}/services.json?jurisdiction_id=elsewhere"):
        response = client.get(path)
        assert response.status_code == 404 and response.get_json()[0]["code"] == 404, path
    root = ET.fromstring(client.get(f"{V2}/requests/GD000.xml").data)
    assert root.tag == "errors" and "not found" in root.find("error/description").text
    assert client.get(f"{V2}/services.json?jurisdiction_id=12345.jinan").status_code == 200
