"""Today's counters rebuilt from the call records when Redis and the listener both lost them."""
from __future__ import annotations

import datetime as dt

from db.models import Agent, Call, CallOutcome
from db.session import make_engine, make_session_factory, session_scope
from queue_logic.day_counters import counters_from_calls, day_bounds_utc
from queue_logic.live_state import LiveState
from tests.support.databases import migrate_and_seed

TZ = "Asia/Shanghai"


def test_day_bounds_are_the_centres_midnights_in_utc():
    assert day_bounds_utc("20261201", TZ) == (dt.datetime(2026, 11, 30, 16), dt.datetime(2026, 12, 1, 16))


def test_counters_from_the_call_records_of_the_day(database_url, model, redis_keys):
    migrate_and_seed(database_url)
    factory = make_session_factory(make_engine(database_url))
    start, _ = day_bounds_utc("20261201", TZ)
    with session_scope(factory) as s:
        agent = s.query(Agent).filter_by(number="1001").one()
        at = start + dt.timedelta(hours=3)

        def call(uid, outcome, wait=None, talk=None, who=None, queue="12345", joined=at):
            s.add(Call(uniqueid=uid, arrived_at=joined, queue_joined_at=joined, queue_name=queue, outcome=outcome,
                       wait_seconds=wait, talk_seconds=talk, agent=who))

        call("a1", CallOutcome.answered, wait=5, talk=60, who=agent)
        call("a2", CallOutcome.answered, wait=40, talk=30, who=agent)          # outside the 15 s level
        call("b1", CallOutcome.abandoned, wait=20)
        call("y1", CallOutcome.answered, wait=1, talk=9, who=agent, joined=start - dt.timedelta(minutes=1))
        s.add(Call(uniqueid="n1", arrived_at=at, outcome=CallOutcome.self_served))   # never queued
    with factory() as s:
        counters = counters_from_calls(s, "20261201", TZ)
    assert counters[("queue", "12345")] == {"offered": 3, "answered": 2, "wait_seconds": 45, "talk_seconds": 90,
                                            "answered_in_sl": 1, "abandoned": 1}
    assert counters[("agent", "1001")] == {"answered": 2, "talk_seconds": 90}

    client, keys = redis_keys
    state = LiveState(client, keys, model)
    assert not state.has_counters("20261201")
    assert state.seed_counters("20261201", counters) == 2
    assert client.hgetall(keys.queue_stats("12345", "20261201"))[b"offered"] == b"3"
    assert state.has_counters("20261201")
    assert state.seed_counters("20261201", counters) == 0        # never on top of counters that exist
