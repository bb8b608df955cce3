"""The live model against AMI events in app_queue's real order (docs/asterisk-notes.md)."""
from __future__ import annotations

from queue_logic.model import LEAVE_GRACE
from queue_logic.states import IDLE, LOGGED_OUT, PAUSED, RINGING, TALKING, WRAPUP
from tests.support.ami_events import agent_event, caller_events, log_in, member_event


def counters(model) -> dict:
    return {f"{kind}:{name}:{field}": n for (kind, name, _day, field), n in model.changes.counters.items()}


def test_a_waiting_caller_has_join_time_position_and_the_line_dialed(model):
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    caller = model.callers["12345"]["c1"]
    assert (caller.joined_at, caller.position, caller.line, caller.line_name) == (10.0, 1, "12315",
                                                                                 "市场监管投诉举报热线")
    assert counters(model) == {"queue:12345:offered": 1}


def test_answered_call_leave_comes_before_connect_and_counts_once_as_answered(model):
    log_in(model, "1001", ("12345", "overflow"))
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply(agent_event("AgentCalled", "c1"), 10.1)
    assert model.agents["1001"].state == RINGING
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1", "Position": "1", "Count": "0"}, 11.0)
    model.apply(agent_event("AgentConnect", "c1", HoldTime="1", RingTime="1"), 11.0)
    agent = model.agents["1001"]
    assert (agent.state, agent.since, agent.call.line, agent.call.channel) == (TALKING, 11.0, "12315",
                                                                               "PJSIP/agent1001-0001")
    assert model.callers["12345"] == {}
    model.apply(agent_event("AgentComplete", "c1", HoldTime="1", TalkTime="30", Reason="caller"), 41.0)
    assert (agent.state, agent.since, agent.wrapup_until) == (WRAPUP, 41.0, 46.0)   # the queue's 5 s wrap-up
    model.tick(45.9)
    assert agent.state == WRAPUP
    model.tick(46.0)
    assert (agent.state, agent.since, agent.call) == (IDLE, 46.0, None)
    assert counters(model) == {"queue:12345:offered": 1, "queue:12345:answered": 1, "queue:12345:answered_in_sl": 1,
                               "queue:12345:wait_seconds": 1, "queue:12345:talk_seconds": 30,
                               "agent:1001:answered": 1, "agent:1001:talk_seconds": 30}


def test_a_late_answer_is_answered_but_not_within_15_seconds(model):
    log_in(model, "1001", ("12345",))
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 30.0)
    model.apply(agent_event("AgentConnect", "c1", HoldTime="20"), 30.0)
    assert counters(model)["queue:12345:answered"] == 1
    assert "queue:12345:answered_in_sl" not in counters(model)


def test_abandon_comes_before_leave_and_is_not_also_an_exit(model):
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply({"Event": "QueueCallerAbandon", "Queue": "12345", "Uniqueid": "c1", "HoldTime": "4"}, 14.0)
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 14.0)
    model.tick(14.0 + LEAVE_GRACE + 1)
    assert counters(model) == {"queue:12345:offered": 1, "queue:12345:abandoned": 1}


def test_a_leave_without_answer_or_abandon_is_an_exit_after_the_grace(model):
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 40.0)   # timeout → overflow
    model.tick(40.0 + LEAVE_GRACE - 0.1)
    assert "queue:12345:exited" not in counters(model)
    model.tick(40.0 + LEAVE_GRACE)
    assert counters(model)["queue:12345:exited"] == 1
    assert model.next_deadline() is None


def test_positions_move_up_when_a_caller_ahead_leaves(model):
    for i, uid in enumerate(("a", "b", "c"), start=1):
        for ev in caller_events(uid, position=i):
            model.apply(ev, float(i))
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "a"}, 5.0)
    assert {u: c.position for u, c in model.callers["12345"].items()} == {"b": 1, "c": 2}


def test_ringall_the_agents_not_answering_stop_ringing(model):
    log_in(model, "1001", ("12345",))
    log_in(model, "1002", ("12345",))
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply(agent_event("AgentCalled", "c1", agent="1001"), 10.0)
    model.apply(agent_event("AgentCalled", "c1", agent="1002"), 10.0)
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 11.0)
    model.apply(agent_event("AgentConnect", "c1", agent="1002", HoldTime="1"), 11.0)
    assert (model.agents["1001"].state, model.agents["1002"].state) == (IDLE, TALKING)


def test_ring_no_answer_returns_the_agent_to_idle(model):
    log_in(model, "1001", ("12345",))
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    model.apply(agent_event("AgentCalled", "c1"), 10.0)
    model.apply(agent_event("AgentRingNoAnswer", "c1", RingTime="15"), 25.0)
    assert model.agents["1001"].state == IDLE and model.agents["1001"].call is None


def test_login_pause_with_reason_unpause_logout(model):
    agent = model.agents["1001"]
    assert agent.state == LOGGED_OUT
    log_in(model, "1001", ("12345", "overflow"), now=100.0)
    assert (agent.state, agent.since, set(agent.memberships)) == (IDLE, 100.0, {"12345", "overflow"})
    for q in ("12345", "overflow"):   # QueuePause without Queue: one event per queue
        model.apply(member_event("QueueMemberPause", "1001", q, paused=True, reason="training"), 200.0)
    assert (agent.state, agent.reason, agent.since) == (PAUSED, "training", 200.0)
    for q in ("12345", "overflow"):
        model.apply(member_event("QueueMemberPause", "1001", q), 300.0)
    assert (agent.state, agent.reason, agent.since) == (IDLE, "", 300.0)
    model.apply(member_event("QueueMemberRemoved", "1001", "12345"), 400.0)
    assert agent.state == IDLE and set(agent.memberships) == {"overflow"}
    model.apply(member_event("QueueMemberRemoved", "1001", "overflow"), 401.0)
    assert (agent.state, agent.since) == (LOGGED_OUT, 401.0)
    assert "1001" not in model.queues["12345"].members


def test_a_phone_on_another_call_shows_talking_and_an_unregistered_phone_offline(model):
    log_in(model, "1001", ("12345",))
    model.apply(member_event("QueueMemberStatus", "1001", "12345", status=2), 150.0)
    assert model.agents["1001"].state == TALKING and model.agents["1001"].call is None
    model.apply(member_event("QueueMemberStatus", "1001", "12345", status=5), 160.0)
    assert model.agents["1001"].state == IDLE and model.agents["1001"].phone_offline


def test_an_unknown_member_is_shown_by_its_interface(model):
    model.apply(member_event("QueueMemberAdded", "9999", "12345"), 1.0)
    assert model.agents["agent9999"].state == IDLE


def test_state_replay_without_counting(model):
    for ev in caller_events("c1"):
        model.apply(ev, 10.0, count=False)
    assert "c1" in model.callers["12345"] and not model.changes.counters
