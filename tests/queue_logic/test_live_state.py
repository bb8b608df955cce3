"""The model written to a real Redis, read back by the wallboard snapshot and by a restarted listener."""
from __future__ import annotations

from queue_logic.live_state import LiveState
from queue_logic.model import LiveModel
from queue_logic.resync import reset_from_queue_status
from queue_logic.snapshot import rates, wallboard_snapshot
from tests.support.ami_events import agent_event, caller_events, day_of, log_in, make_directory


def test_flush_writes_changes_and_the_snapshot_shows_them(model, redis_keys):
    client, keys = redis_keys
    state = LiveState(client, keys, model)
    log_in(model, "1001", ("12345",), now=100.0)
    for ev in caller_events("c1"):
        model.apply(ev, 110.0)
    assert state.flush()
    assert not state.flush()          # nothing new
    snap = wallboard_snapshot(client, keys, "20261122", now=120.0)
    queue = next(q for q in snap["queues"] if q["name"] == "12345")
    assert (queue["waiting"], queue["longest_wait"], queue["offered"]) == (1, 10.0, 1)
    assert queue["callers"][0]["line_name"] == "市场监管投诉举报热线"
    agent = next(a for a in snap["agents"] if a["number"] == "1001")
    assert (agent["state"], agent["since"], agent["duration"]) == ("idle", 100.0, 20.0)

    model.apply({"Event": "QueueCallerLeave", "Queue": "12345", "Uniqueid": "c1"}, 111.0)
    model.apply(agent_event("AgentConnect", "c1", HoldTime="1"), 111.0)
    state.flush()
    snap = wallboard_snapshot(client, keys, "20261122", now=120.0)
    queue = next(q for q in snap["queues"] if q["name"] == "12345")
    agent = next(a for a in snap["agents"] if a["number"] == "1001")
    assert queue["waiting"] == 0 and queue["answered"] == 1 and queue["answer_rate"] == 1.0
    assert (agent["state"], agent["call_line"], agent["answered"]) == ("talking", "12315", 1)


def test_a_restarted_listener_keeps_since_times_from_redis(model, redis_keys):
    client, keys = redis_keys
    log_in(model, "1001", ("12345",), now=100.0)
    for ev in caller_events("c1"):
        model.apply(ev, 110.0)
    LiveState(client, keys, model).flush()

    fresh = LiveModel(make_directory(), day_of)          # the new process
    LiveState(client, keys, fresh).load_previous()
    status = [{"Event": "QueueParams", "Queue": "12345"},
              {"Event": "QueueMember", "Queue": "12345", "Location": "PJSIP/agent1001", "Paused": "0", "Status": "1"},
              {"Event": "QueueEntry", "Queue": "12345", "Uniqueid": "c1", "Position": "1", "Wait": "500"}]
    reset_from_queue_status(fresh, status, 200.0)
    LiveState(client, keys, fresh).flush()
    snap = wallboard_snapshot(client, keys, "20261122", now=200.0)
    agent = next(a for a in snap["agents"] if a["number"] == "1001")
    assert agent["since"] == 100.0
    assert snap["queues"][0]["callers"][0]["joined_at"] == 110.0
    assert {q["name"] for q in snap["queues"]} == {"12345"}      # a full rewrite drops what Asterisk lacks


def test_rates_and_alerts_against_gbt_33358_targets():
    zero = dict.fromkeys(("offered", "answered", "answered_in_sl", "abandoned", "exited", "wait_seconds",
                          "talk_seconds"), 0)
    assert rates(zero)["answer_rate"] is None and not rates(zero)["answer_rate_alert"]
    r = rates({**zero, "answered": 19, "answered_in_sl": 16, "abandoned": 1})
    assert (r["answer_rate"], r["answer_rate_alert"]) == (0.95, False)
    assert (round(r["sl_rate"], 3), r["sl_rate_alert"]) == (0.842, False)
    r = rates({**zero, "answered": 18, "answered_in_sl": 14, "abandoned": 1, "exited": 1})
    assert r["answer_rate_alert"] and r["sl_rate_alert"]


def test_counters_come_back_whole_when_redis_lost_everything(model, redis_keys):
    """A Redis restarted without persistence: the listener writes today's totals back, not from zero."""
    client, keys = redis_keys
    state = LiveState(client, keys, model)
    log_in(model, "1001", ("12345",), now=100.0)
    for ev in caller_events("c1"):
        model.apply(ev, 100.0)
    state.flush()
    day = day_of(100.0)
    before = client.hgetall(keys.queue_stats("12345", day))
    assert int(before[b"offered"]) == 1
    for key in list(client.scan_iter(f"{keys.prefix}*")):   # what a restart does to our keys
        client.delete(key)
    state.restore_after_loss()
    state.flush()
    assert client.hgetall(keys.queue_stats("12345", day)) == before
    assert client.sismember(keys.agents, "1001")
    # a restarted listener reads the totals back before it adds to them
    again = LiveState(client, keys, model)
    again.load_counters([day])
    assert again.totals[keys.queue_stats("12345", day)]["offered"] == 1
