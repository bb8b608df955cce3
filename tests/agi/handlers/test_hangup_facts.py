"""The hangup handler's honest record: never-queued calls, the longest-call reason, a line's own limit."""
from __future__ import annotations

import time

from agi import config_snapshot
from agi.handlers import HANDLERS
from db.models import CallOutcome, Line
from db.repositories import calls as call_repo
from hotline import dialplan as v


def _inbound(place_call, server, dialed):
    ch = place_call(server, "inbound", ["t-9", "", f"/rec/{dialed}.wav"],
                    env={"agi_dnid": dialed, "agi_extension": dialed})
    return ch, dict(zip(v.DECISION_FIELDS, ch.variables[v.DECISION].split(",")))


def _hangup_args(cause="16", queue_start="", queue="", reason="", agent_answered="", member=""):
    # HANGUPCAUSE, QUEUESTATUS, fallback, transfer kind, DIALSTATUS, transfer answered, queue start, queue, reason,
    # agent answered, MEMBERINTERFACE
    return [cause, "", "", "", "", "", queue_start, queue, reason, agent_answered, member]


def test_a_hangup_during_the_menu_has_no_queue_and_no_wait(start_server, place_call, session_factory):
    server = start_server(HANDLERS)
    ch, _ = _inbound(place_call, server, "12345")
    place_call(server, "hangup", _hangup_args(), env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.outcome == CallOutcome.abandoned and call.ended_at is not None
        assert call.queue_name is None and call.queue_joined_at is None and call.wait_seconds is None


def test_a_caller_who_joined_a_queue_keeps_queue_and_wait(start_server, place_call, session_factory):
    server = start_server(HANDLERS)
    ch, _ = _inbound(place_call, server, "12345")
    joined = f"{time.time() - 4:.3f}"
    place_call(server, "hangup", _hangup_args(queue_start=joined, queue="12345"), env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.outcome == CallOutcome.abandoned and call.queue_name == "12345"
        assert 3.5 <= call.wait_seconds < 6


def test_the_longest_call_limit_is_the_recorded_cause(start_server, place_call, session_factory):
    server = start_server(HANDLERS)
    ch, _ = _inbound(place_call, server, "12345")
    place_call(server, "hangup", _hangup_args(cause="16", reason=v.END_MAX_DURATION),
               env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        assert call_repo.get_by_uniqueid(s, ch.uniqueid).hangup_cause == "max_duration"


def test_a_line_may_set_its_own_longest_call(start_server, place_call, session_factory):
    with session_factory() as s:
        s.query(Line).filter_by(number="12315").one().max_call_seconds = 900
        s.commit()
    config_snapshot.CACHE.invalidate()
    server = start_server(HANDLERS)
    _, decision = _inbound(place_call, server, "12315")
    assert decision[v.LINE_MAX_CALL] == "900"
    _, decision = _inbound(place_call, server, "12345")
    assert decision[v.LINE_MAX_CALL] == ""      # the centre's default (the dialplan's MAX_CALL_SECONDS)


def test_a_pick_up_the_agent_connect_agi_missed_is_still_answered(start_server, place_call, session_factory):
    """agent_connect failed (database locked at pick-up); the hangup AGI gets the dialplan's pick-up time."""
    server = start_server(HANDLERS)
    ch, _ = _inbound(place_call, server, "12345")
    now = time.time()
    place_call(server, "hangup", _hangup_args(queue_start=f"{now - 10:.3f}", queue="12345",
                                              agent_answered=f"{now - 7:.3f}", member="PJSIP/agent1003"),
               env={"agi_uniqueid": ch.uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, ch.uniqueid)
        assert call.outcome == CallOutcome.answered and call.agent.sip_username == "agent1003"
        assert abs(call.wait_seconds - 3) < 0.1 and 6.5 < call.talk_seconds < 8
