"""The model written to a real Redis, read back by the wallboard snapshot and by a restarted listener."""
from __future__ import annotations

import json
import threading
import time

from queue_logic.live_state import LiveState
from queue_logic.model import LiveModel
from queue_logic.resync import reset_from_queue_status
from queue_logic.snapshot import rates, wallboard_snapshot
from tests.support.ami_events import agent_event, caller_events, day_of, log_in, make_directory
from web.streams import snapshot_stream


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


def test_the_stream_pushes_a_snapshot_soon_after_a_publish_and_closes_its_pubsub(redis_keys):
    client, keys = redis_keys
    built = []

    def build():
        built.append(time.monotonic())
        return {"n": len(built)}

    stream = snapshot_stream(client, keys.live_channel, build, min_interval=0.05, heartbeat=0.3, refresh=60)
    assert next(stream).startswith("retry:")
    assert json.loads(next(stream).split("data: ", 1)[1]) == {"n": 1}
    sent = time.monotonic()

    def burst():
        pipe = client.pipeline(transaction=False)
        for _ in range(50):
            pipe.publish(keys.live_channel, "x")
        pipe.execute()

    threading.Timer(0.1, burst).start()
    frame = next(stream)
    assert frame.startswith("event: snapshot") and time.monotonic() - sent < 1.0
    assert len(built) == 2                     # 50 publishes, one coalesced snapshot
    assert next(stream) == ": heartbeat\n\n"   # nothing new: a comment keeps the connection honest
    subscribers = client.pubsub_numsub(keys.live_channel)[0][1]
    stream.close()
    assert subscribers == 1 and client.pubsub_numsub(keys.live_channel)[0][1] == 0
