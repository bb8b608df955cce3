"""一次一评 on the real Asterisk: the agent hangs up first, the citizen stays and keys a rating."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from db.models import Call, Ticket
from db.repositories import calls as call_repo
from tests.support.waiting import wait_for
from tests.support.web import csrf_of

pytestmark = pytest.mark.asterisk


@pytest.fixture
def agent_hangs_up_after_2s(hotline):
    hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 2")
    yield


def _call(hotline, *extra):
    # "1" during the greeting: straight to an agent; the agent talks 2 s and hangs up
    return hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", *extra)


def test_a_rating_keyed_after_the_agent_hung_up_is_on_the_call(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--rating", "2", "--rating-delay", "5", "--hangup-after", "30")
    assert record["outcome"] == "answered"
    assert record["rating"] == 2
    # talk time ends when the agent hung up, not when the rating was over
    assert abs(record["talk_seconds"] - 2.0) < 0.7
    # the hotline hung up after its thanks, long before the citizen's 30 s
    with hotline.session_factory()() as session:
        row = call_repo.get_by_uniqueid(session, record["uniqueid"])
        assert (row.ended_at - row.rating_offered_at).total_seconds() < 25
    assert f"[{record['uniqueid']}] rating: 2" in hotline.agi_log()


def test_a_wrong_key_gets_one_retry(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--rating", "9wwwwww4", "--rating-delay", "5", "--hangup-after", "30")
    assert record["rating"] == 4


def test_no_key_means_no_rating_never_satisfied(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--hangup-after", "40")
    assert record["outcome"] == "answered"
    assert record["rating"] is None
    with hotline.session_factory()() as session:
        row = call_repo.get_by_uniqueid(session, record["uniqueid"])
        assert row.rating_offered_at is not None and row.ended_at is not None
    assert f"[{record['uniqueid']}] rating: none" in hotline.agi_log()


def test_the_citizen_hanging_up_first_is_not_asked(hotline):
    record = _call(hotline, "--hangup-after", "3")
    assert record["outcome"] == "answered" and record["rating"] is None
    with hotline.session_factory()() as session:
        assert call_repo.get_by_uniqueid(session, record["uniqueid"]).rating_offered_at is None


def test_the_rating_goes_on_the_ticket_written_during_the_call(hotline):
    """The agent writes the ticket while talking, hangs up; the citizen's key lands on the ticket too."""
    caller = "13800077777"
    hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 8")
    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(record=_call(
        hotline, "--from", caller, "--rating", "3", "--rating-delay", "12", "--hangup-after", "30")))
    citizen.start()
    try:
        call = wait_for(lambda: _answered(hotline, caller), 20, f"an answered call from {caller}", interval=0.2)
        with hotline.session_factory()() as s:
            agent_number = s.get(Call, call).agent.number
        app = hotline.web_app()
        agent = app.test_client()
        login = f"agent{agent_number}"
        assert agent.post("/login", data={"username": login, "password": hotline.passwords[login],
                                          "csrf_token": csrf_of(agent)}).status_code == 302
        with hotline.session_factory()() as s:
            uniqueid = s.get(Call, call).uniqueid
        response = agent.post("/agent/tickets", data={
            "csrf_token": csrf_of(agent), "call_uniqueid": uniqueid, "caller_phone": caller, "line": "12345",
            "caller_name": "钱女士", "category": "consultation", "topic": "market-consumer", "urgency": "normal",
            "district": "lixia", "address": "历下区", "description": "咨询预付卡退款", "action": "save"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    finally:
        citizen.join(60)
    assert result["record"]["rating"] == 3
    with hotline.session_factory()() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.caller_phone == caller))
        assert ticket.call_rating == 3 and [c.uniqueid for c in ticket.calls] == [uniqueid]
        number = ticket.number
    assert agent.get(f"/api/v1/tickets/{number}").get_json()["call_rating"] == 3


def _answered(hotline, caller: str) -> int | None:
    with hotline.session_factory()() as s:
        return s.scalar(select(Call.id).where(Call.caller == caller, Call.answered_at.is_not(None),
                                              Call.ended_at.is_(None)))
