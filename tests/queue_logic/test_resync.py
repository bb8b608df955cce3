"""QueueStatus is the truth; what it cannot say (since, the call's line) is kept when consistent."""
from __future__ import annotations

from queue_logic.resync import reset_from_queue_status
from queue_logic.states import IDLE, LOGGED_OUT, PAUSED, TALKING, WRAPUP
from tests.support.ami_events import agent_event, caller_events, log_in


def params(queue: str) -> dict:
    return {"Event": "QueueParams", "Queue": queue, "Strategy": "rrmemory", "ServiceLevel": "15", "Calls": "0"}


def member(agent: str, queue: str, paused: bool = False, reason: str = "", status: int = 1, in_call: bool = False,
           last_call: float = 0, last_pause: float = 0) -> dict:
    return {"Event": "QueueMember", "Queue": queue, "Name": f"{agent} x", "Location": f"PJSIP/agent{agent}",
            "StateInterface": f"PJSIP/agent{agent}", "Membership": "dynamic", "Penalty": "0",
            "Paused": "1" if paused else "0", "PausedReason": reason, "Status": str(status),
            "InCall": "1" if in_call else "0", "LastCall": str(int(last_call)), "LastPause": str(int(last_pause))}


def test_resync_replaces_members_and_callers(model):
    log_in(model, "1002", ("12345",))            # the listener believed 1002 was in
    for ev in caller_events("gone"):             # ... and that a caller waited
        model.apply(ev, 10.0)
    events = [params("12345"), params("english"), member("1001", "12345", paused=True, reason="meeting",
                                                         last_pause=90),
              {"Event": "QueueEntry", "Queue": "12345", "Position": "1", "Channel": "PJSIP/carrier-x",
               "Uniqueid": "x", "CallerIDNum": "13900000000", "Wait": "7"}]
    reset_from_queue_status(model, events, 100.0)
    assert model.agents["1002"].state == LOGGED_OUT
    agent = model.agents["1001"]
    assert (agent.state, agent.reason, agent.since) == (PAUSED, "meeting", 90.0)   # LastPause: a good guess
    assert list(model.callers["12345"]) == ["x"] and model.callers["12345"]["x"].joined_at == 93.0
    assert model.changes.full


def test_resync_keeps_since_and_the_call_line_when_asterisk_agrees(model):
    log_in(model, "1001", ("12345",), now=50.0)
    for ev in caller_events("c1"):
        model.apply(ev, 60.0)
    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 61.0)
    model.apply(agent_event("AgentConnect", "c1", HoldTime="1"), 61.0)
    reset_from_queue_status(model, [params("12345"), member("1001", "12345", status=2, in_call=True)], 100.0)
    agent = model.agents["1001"]
    assert (agent.state, agent.since, agent.call.line) == (TALKING, 61.0, "12315")


def test_resync_after_the_call_ended_meanwhile_gives_wrapup_from_last_call(model):
    log_in(model, "1001", ("12345",), now=50.0)
    model.apply(agent_event("AgentConnect", "c1", HoldTime="1"), 61.0)
    reset_from_queue_status(model, [params("12345"), member("1001", "12345", last_call=98)], 100.0)
    agent = model.agents["1001"]
    assert (agent.state, agent.wrapup_until, agent.since) == (WRAPUP, 103.0, 98.0)   # 5 s wrap-up
    model.tick(103.0)
    assert agent.state == IDLE


def test_a_waiting_caller_keeps_its_join_time_and_line_across_a_resync(model):
    for ev in caller_events("c1"):
        model.apply(ev, 10.0)
    reset_from_queue_status(model, [params("12345"), {"Event": "QueueEntry", "Queue": "12345", "Position": "1",
                                                       "Uniqueid": "c1", "Wait": "80"}], 100.0)
    caller = model.callers["12345"]["c1"]
    assert (caller.joined_at, caller.line) == (10.0, "12315")
