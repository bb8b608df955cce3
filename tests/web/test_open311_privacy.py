"""Open311 privacy (公开范围): anonymous readers see public requests only, their public fields only; a channel's
api_key sees its own requests; single anonymous lookups go by token, so ticket numbers cannot be walked."""
from __future__ import annotations

import itertools

import pytest

from db.session import session_scope
from tests.support.web import post_json
from tickets import api_clients

V2 = "/open311/v2"
_phones = itertools.count(13511100001)
SECRET_PHONE_WORDS = "李"


@pytest.fixture(scope="module")
def keys(ticket_app):
    with session_scope(ticket_app.extensions["hotline_sessions"]) as s:
        return {"wechat": api_clients.create(s, "privacy-wechat", "wechat"),
                "sms": api_clients.create(s, "privacy-sms", "sms")}


def submit(client, key, **overrides):
    data = {"api_key": key, "service_code": "urban-lighting", "attribute[category]": "help",
            "address_string": "历下区泉城路88号", "lat": "36.66", "long": "117.02",
            "description": "路灯不亮", "last_name": "李", "first_name": "娜", "phone": str(next(_phones)),
            "email": "li.na@example.cn"}
    data.update(overrides)
    response = client.post(f"{V2}/requests.json", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()[0]


def listed(client, query=""):
    response = client.get(f"{V2}/requests.json?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {r["service_request_id"]: r for r in response.get_json()}


def close_with_reply(as_role, number, reply):
    reviewer, clerk = as_role("reviewer"), as_role("clerk_cgj")
    for who, body in ((reviewer, {"event": "dispatch", "department": "cgj"}), (clerk, {"event": "accept"}),
                      (clerk, {"event": "reply", "reply": reply}), (reviewer, {"event": "approve_reply"}),
                      (reviewer, {"event": "close", "reason": "市民确认"})):
        assert post_json(who, f"/api/v1/tickets/{number}/transitions", body).status_code == 200, body


def test_anonymous_readers_see_only_public_requests_and_public_fields(ticket_app, keys, as_role):
    anonymous = ticket_app.test_client()
    public = submit(anonymous, keys["wechat"], **{"attribute[public]": "true", "description": "公开的路灯诉求"})
    private = submit(anonymous, keys["wechat"], description="不公开的诉求, 门牌号 18 号")
    hidden = submit(anonymous, keys["wechat"], **{"attribute[public]": "true", "attribute[confidential]": "true",
                                                 "description": "保密举报内容"})
    phone = post_json(as_role("agent"), "/api/v1/tickets", {
        "category": "complaint", "topic": "urban-lighting", "description": "电话受理: 邻居家漏水",
        "caller_phone": "13900001111", "address": "历下区某小区"}).get_json()["number"]

    seen = listed(anonymous)
    assert public["service_request_id"] in seen
    assert not {private["service_request_id"], hidden["service_request_id"], phone} & set(seen)
    text = str(list(seen.values()))
    assert "保密举报内容" not in text and "电话受理" not in text and "门牌号" not in text
    assert SECRET_PHONE_WORDS not in text and "example.cn" not in text
    # asking for the ids does not widen the scope
    asked = ",".join([private["service_request_id"], hidden["service_request_id"], phone])
    assert listed(anonymous, f"service_request_id={asked}") == {}


def test_single_requests_go_by_token_so_numbers_cannot_be_walked(ticket_app, keys, as_role):
    anonymous = ticket_app.test_client()
    private = submit(anonymous, keys["sms"], description="家里的事, 不想公开")
    phone = post_json(as_role("agent"), "/api/v1/tickets", {
        "category": "help", "topic": "urban-lighting", "description": "电话里说的私事",
        "caller_phone": "13900002222"}).get_json()
    for number in (private["service_request_id"], phone["number"]):
        response = anonymous.get(f"{V2}/requests/{number}.json")
        assert response.status_code == 404 and response.get_json()[0]["code"] == 404
    # the receipt's token finds it, with its status but not what was written
    [by_token] = anonymous.get(f"{V2}/requests/{private['token']}.json").get_json()
    assert by_token["service_request_id"] == private["service_request_id"] and by_token["status"] == "open"
    assert by_token["description"] == "" and by_token["address"] == "" and by_token["lat"] is None
    # a public one is readable by number too
    public = submit(anonymous, keys["sms"], **{"attribute[public]": "true", "description": "公开诉求"})
    [shown] = anonymous.get(f"{V2}/requests/{public['service_request_id']}.json").get_json()
    assert shown["description"] == "公开诉求" and shown["address"] == "历下区泉城路88号"


def test_a_channel_key_reads_its_own_requests_only(ticket_app, keys):
    client = ticket_app.test_client()
    mine = submit(client, keys["wechat"], description="微信渠道自己的诉求")
    theirs = submit(client, keys["sms"], description="短信渠道的诉求")
    own = listed(client, f"api_key={keys['wechat']}")
    assert mine["service_request_id"] in own and theirs["service_request_id"] not in own
    assert own[mine["service_request_id"]]["description"] == "微信渠道自己的诉求"
    assert SECRET_PHONE_WORDS not in str(own[mine["service_request_id"]])
    other = client.get(f"{V2}/requests/{theirs['service_request_id']}.json?api_key={keys['wechat']}")
    assert other.status_code == 404
    wrong = client.get(f"{V2}/requests.json?api_key=not-a-key")
    assert wrong.status_code == 403 and wrong.get_json()[0]["code"] == 403


def test_the_reply_is_public_only_once_the_centre_published_it(ticket_app, keys, as_role):
    anonymous = ticket_app.test_client()
    number = submit(anonymous, keys["wechat"], **{"attribute[public]": "true"})["service_request_id"]
    close_with_reply(as_role, number, "已修复路灯, 联系人王师傅 13700000000")
    [before] = anonymous.get(f"{V2}/requests/{number}.json").get_json()
    assert before["status"] == "closed" and "王师傅" not in before["status_notes"]
    [own] = anonymous.get(f"{V2}/requests/{number}.json?api_key={keys['wechat']}").get_json()
    assert "王师傅" in own["status_notes"]  # the channel passes it to its citizen

    publish = f"/api/v1/tickets/{number}/publication"
    assert post_json(as_role("clerk_cgj"), publish, {"reply_published": True}).status_code == 403
    response = post_json(as_role("reviewer"), publish, {"reply_published": True})
    assert response.status_code == 200 and response.get_json()["reply_published"] is True
    [after] = anonymous.get(f"{V2}/requests/{number}.json").get_json()
    assert "已修复路灯" in after["status_notes"]
    events = as_role("reviewer").get(f"/api/v1/tickets/{number}/events").get_json()
    assert events[-1]["event"] == "publish_reply" and events[-1]["actor"] == "reviewer"


def test_phone_intake_and_confidential_requests_never_become_public(ticket_app, keys, db_session):
    from db.models import Ticket, TicketChannel
    from tickets import open311 as o311

    ticket = Ticket(channel=TicketChannel.phone, confidential=False)
    o311.mark_public(ticket, True)
    assert ticket.public is False
    ticket = Ticket(channel=TicketChannel.web, confidential=True)
    o311.mark_public(ticket, True)
    assert ticket.public is False
    bad = ticket_app.test_client().post(f"{V2}/requests.json", data={
        "api_key": keys["wechat"], "service_code": "urban-lighting", "attribute[category]": "help",
        "address_string": "x", "description": "y", "attribute[public]": "maybe"})
    assert bad.status_code == 400 and "attribute[public]" in bad.get_json()[0]["description"]
