"""The load report's soak figures: growth of a series, and the installation's Redis keys counted on a real Redis."""
from __future__ import annotations

import secrets

import redis

from ops.load.report import RedisKeyCounter, growth
from tests.support.waiting import wait_for


def test_growth_compares_the_warmed_up_second_tenth_with_the_last():
    flat = [50.0] * 2 + [80.0] * 38           # start-up below, then steady
    assert growth("rss", flat) == {"rss_warm": 80.0, "rss_end": 80.0, "rss_growth": 0.0}
    leak = [float(i) for i in range(100)]     # one a sample: the second tenth's median 14.5, the last 94.5
    assert growth("rss", leak)["rss_growth"] == 80.0
    assert growth("rss", [1.0] * 19) == {}    # too short to say


def test_the_key_counter_counts_only_the_installations_prefix_on_a_real_redis():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix, other = f"hltest-{secrets.token_hex(4)}:", f"hltest-{secrets.token_hex(4)}:"
    try:
        client.set(f"{prefix}a", 1)
        client.set(f"{other}x", 1)               # another installation's key is not ours
        counter = RedisKeyCounter(client, prefix, every=0.05).start()
        wait_for(lambda: counter.samples, 5, "a first sample")
        for i in range(3):
            client.set(f"{prefix}b{i}", 1)
        wait_for(lambda: counter.samples[-1] == 4, 5, "the new keys counted")
        found = counter.stop()
        assert found["first"] == 1 and found["last"] == 4 and found["max"] == 4
        assert not counter.thread.is_alive()
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.delete(f"{other}x")
