"""Server-Sent Events from the listener's ``live`` channel: one generator per open page.

The listener publishes after every batch of writes. A stream coalesces what
arrived meanwhile into one fresh snapshot, at most one per MIN_INTERVAL (a
wallboard needs "within 1 s", not 5,000 frames a second), sends a snapshot
anyway every REFRESH seconds (so a dead listener shows as such) and a heartbeat
comment in between, so a closed browser is noticed at the next write. The
pub/sub connection is closed in ``finally``, whatever ends the stream.
"""
from __future__ import annotations

import json
import time
from typing import Callable, Iterator

import redis

MIN_INTERVAL = 0.2
COALESCE = 0.05     # after a change, wait this long for the rest of its burst
REFRESH = 5.0
HEARTBEAT = 15.0


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def snapshot_stream(client: redis.Redis, channel: str, build: Callable[[], dict], *,
                    event: str = "snapshot", min_interval: float = MIN_INTERVAL, refresh: float = REFRESH,
                    heartbeat: float = HEARTBEAT, max_seconds: float | None = None) -> Iterator[str]:
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel)
        yield "retry: 2000\n\n"
        yield sse(event, build())
        last_push = last_beat = started = time.monotonic()
        while max_seconds is None or time.monotonic() - started < max_seconds:
            message = pubsub.get_message(timeout=min(1.0, refresh))
            now = time.monotonic()
            if message is None:
                if now - last_push >= refresh:
                    yield sse(event, build())
                    last_push = last_beat = time.monotonic()
                elif now - last_beat >= heartbeat:
                    yield ": heartbeat\n\n"
                    last_beat = now
                continue
            time.sleep(max(COALESCE, min_interval - (now - last_push)))
            while pubsub.get_message(timeout=0) is not None:   # coalesce the burst
                pass
            yield sse(event, build())
            last_push = last_beat = time.monotonic()
    finally:
        pubsub.close()
