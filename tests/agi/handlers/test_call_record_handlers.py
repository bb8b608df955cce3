"""inbound → agent_connect → hangup, as Asterisk drives them, and the Call row they leave."""
from __future__ import annotations

import datetime as dt

import pytest

from agi import config_snapshot
from agi.handlers import HANDLERS
from db.models import CallOutcome, Line
from db.repositories import calls as call_repo
from hotline import dialplan as v


@pytest.fixture
def server(start_server):
    return start_server(HANDLERS)


def inbound(place_call, server, dialed, trace="t-1"):
    ch = place_call(server, "inbound", [trace, "", f"/rec/{dialed}.wav"],
                    env={"agi_dnid": dialed, "agi_extension": dialed})
    ch.decision = decision_of(ch)
    return ch


def decision_of(ch) -> dict[str, str]:
    """The variables the dialplan unpacks with ARRAY() from the one HOTLINE_DECISION value."""
    values = ch.variables[v.DECISION].split(",")
    assert len(values) == len(v.DECISION_FIELDS), values
    return dict(zip(v.DECISION_FIELDS, values))


def test_dual_line_is_tagged_and_queued(server, place_call, session_factory):
    ch = inbound(place_call, server, "12315")
    assert ch.decision[v.ROUTE] == "queue"
    assert ch.decision[v.QUEUE] == "12345"
    assert ch.decision[v.LINE] == "12315"
    assert ch.decision[v.PROMPTS] == "hotline/greeting-12315" or ch.decision[v.PROMPTS] == "hotline/greeting-dual"
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.line.number == "12315" and call.line_mode == "dual"
        assert call.department.code == "scjgj"
        assert call.trace_id == "t-1" and call.recording_file == "/rec/12315.wav"
        assert call.queue_joined_at is not None and call.ended_at is None


def test_unknown_number_goes_to_12345_untagged(server, place_call, session_factory):
    ch = inbound(place_call, server, "55555555")
    assert ch.decision[v.ROUTE] == "queue" and ch.decision[v.QUEUE] == "12345"
    assert ch.decision[v.LINE] == "" and ch.decision[v.MENU] == "main"
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.line is None and call.department is None and call.dialed_number == "55555555"


def test_line_outside_its_active_window_is_not_tagged(server, place_call, session_factory):
    with session_factory() as s:
        line = s.query(Line).filter_by(number="12315").one()
        line.active_until = dt.datetime(2020, 1, 1)
        s.commit()
    config_snapshot.CACHE.invalidate()   # in production: within config_snapshot.TTL seconds
    ch = inbound(place_call, server, "12315")
    assert ch.decision[v.QUEUE] == "12345" and ch.decision[v.LINE] == ""


def test_overflow_queue_and_its_timeout_are_given_to_the_dialplan(server, place_call, session_factory):
    """The wait's limit goes with every queue: then the overflow queue, or voicemail offered (留言)."""
    ch = inbound(place_call, server, "12345")
    from db.models import Queue
    with session_factory() as s:
        main = s.query(Queue).filter_by(name="12345").one()
        expected_timeout = str(main.max_wait_seconds)
        expected_overflow = main.overflow_queue.name if main.overflow_queue else ""
    assert ch.decision[v.OVERFLOW_QUEUE] == expected_overflow
    assert ch.decision[v.QUEUE_TIMEOUT] == expected_timeout


def test_emergency_decision_is_a_transfer_without_prompts(server, place_call):
    ch = inbound(place_call, server, "110")
    assert ch.decision[v.ROUTE] == "transfer" and ch.decision[v.TRANSFER_TARGET] == "PJSIP/110@carrier"
    assert ch.decision[v.TRANSFER_KIND] == "emergency" and ch.decision[v.PROMPTS] == ""
    assert len(ch.commands) == 1          # one round trip to Asterisk per call setup


def test_answered_then_hung_up(server, place_call, session_factory):
    ch = inbound(place_call, server, "12358")
    place_call(server, "agent_connect", [ch.uniqueid, "overflow"],
               env={"agi_channel": "PJSIP/agent1002-0000000a", "agi_uniqueid": "other.1"})
    place_call(server, "hangup", ["16", "", ""], env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.outcome == CallOutcome.answered
        assert call.agent.number == "1002" and call.queue_name == "overflow"
        assert call.wait_seconds is not None and call.talk_seconds is not None
        assert call.answered_at <= call.ended_at and call.hangup_cause == "16"


def test_caller_hangs_up_while_waiting_is_abandoned(server, place_call, session_factory):
    ch = inbound(place_call, server, "12345")
    place_call(server, "hangup", ["16", "", ""], env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.outcome == CallOutcome.abandoned
        assert call.agent is None and call.talk_seconds is None and call.wait_seconds >= 0


def test_a_second_hangup_does_not_change_the_record(server, place_call, session_factory):
    ch = inbound(place_call, server, "12345")
    place_call(server, "hangup", ["16", "", ""], env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        first = call_repo.get_by_uniqueid(s, ch.uniqueid).ended_at
    place_call(server, "hangup", ["17", "", ""], env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.ended_at == first and call.hangup_cause == "16"


def test_fallback_call_unknown_to_python_gets_a_record_at_hangup(server, place_call, session_factory):
    """Python was down when the call arrived; it is back by the time the caller hangs up."""
    ch = place_call(server, "hangup", ["16", "", "1"],
                    env={"agi_uniqueid": "1700009999.1", "agi_dnid": "12319", "agi_extension": "12319"})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, "1700009999.1")
        assert call.outcome == CallOutcome.fallback
        assert call.dialed_number == "12319" and call.caller == "13800138000"
    assert ch.commands == []


def test_a_record_made_at_hangup_keeps_the_dialplans_trace_arrival_recording_and_line(server, place_call,
                                                                                       session_factory):
    """Python hung or was away when the call arrived: the dialplan's own facts make the record whole."""
    argv = ["16", "", "1", "", "", "", "", "12345", "", "", "", "", "", "trace-77", "1796000000", "/rec/77.wav"]
    place_call(server, "hangup", argv, env={"agi_uniqueid": "1700009999.2", "agi_dnid": "12315",
                                            "agi_extension": "12315"})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, "1700009999.2")
        assert call.outcome == CallOutcome.fallback and call.trace_id == "trace-77"
        assert call.arrived_at == dt.datetime(2026, 11, 30, 0, 53, 20) and call.recording_file == "/rec/77.wav"
        assert call.line.number == "12315" and call.department.code == "scjgj"


def test_pick_up_of_an_unknown_call_is_logged_not_fatal(server, place_call, caplog):
    ch = place_call(server, "agent_connect", ["no-such-call", "12345"],
                    env={"agi_channel": "PJSIP/agent1001-00000001"})
    assert v.AGI_ERROR not in ch.variables
    assert "no-such-call" in caplog.text
