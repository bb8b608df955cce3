"""Server-Sent Events from the listener's ``live`` channel: ONE Redis subscription per web process.

The web tier runs gunicorn with gevent workers: an open stream is a greenlet
waiting on a condition, not a thread and not a Redis connection. Each process
has one ``LiveHub``: a background greenlet (a thread under the dev server)
subscribed to the channel, which bumps a version number per message and wakes
every waiting stream. A stream coalesces what arrived meanwhile into one fresh
snapshot, at most one per MIN_INTERVAL (a wallboard needs "within 1 s", not
5,000 frames a second), sends a snapshot anyway every REFRESH seconds (so a
dead listener shows as such) and a heartbeat comment in between, so a closed
browser is noticed at the next write. Streams that show the same thing (every
wallboard) share one build per version and one encoded frame of it: 300 open
wallboards cost one snapshot read and one JSON encoding per change, not 300 (at
a peak a wallboard frame is ~100 KB: encoding it per stream took a core).

Redis away: the hub notices (its subscription breaks), every stream sends an
``unavailable`` event (the page shows a banner) and waits; once the hub has
subscribed again, every stream sends a fresh snapshot. Errors are logged once
per interval (hotline.redis_conn.TroubleLog), not once per stream or event.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterator

import redis

from hotline.redis_conn import TroubleLog

log = logging.getLogger("web.streams")

MIN_INTERVAL = 0.2
COALESCE = 0.05     # after a change, wait this long for the rest of its burst
REFRESH = 5.0
HEARTBEAT = 15.0
RESUBSCRIBE = 1.0   # seconds between attempts while Redis is away

UNAVAILABLE_ERROR = "live_state_unavailable"
UNAVAILABLE = {"ok": False, "error": UNAVAILABLE_ERROR,
               "message": "实时状态不可用 live state unavailable: Redis cannot be reached; figures resume when it is back"}


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


@dataclass
class _Build:
    """One shared build of a key's snapshot, and its encoded frames (one per event name)."""

    version: int
    started: float
    finished: float
    data: dict
    frames: dict[str, str] = field(default_factory=dict)


class LiveHub:
    """One subscription to ``channel`` for the whole process, fanned out to every stream by a condition."""

    def __init__(self, client: redis.Redis, channel: str):
        self.client, self.channel = client, channel
        self.version = 0                   # +1 per message (and per (re)subscription)
        self.available = True              # False while the subscription is broken
        self.messages = 0
        self._cond = threading.Condition()
        self._started = False
        self._start_lock = threading.Lock()
        self._build_locks: dict[Hashable, threading.Lock] = {}
        self._cache: dict[Hashable, _Build] = {}
        self.trouble = TroubleLog(log, f"live streams: Redis subscription to {channel}")
        self.subscribed = threading.Event()
        self.closed = False

    def start(self) -> "LiveHub":
        with self._start_lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="live-hub", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop the subscription (within a second); for tests and a clean shutdown."""
        self.closed = True

    def _run(self) -> None:
        while not self.closed:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.trouble.ok()
                self._bump(available=True)
                self.subscribed.set()
                while not self.closed:
                    if pubsub.get_message(timeout=1.0) is not None:
                        self.messages += 1
                        self._bump(available=True)
            except (redis.RedisError, OSError) as e:
                self.subscribed.clear()
                self.trouble.failed(e)
                self._bump(available=False)
            finally:
                try:
                    pubsub.close()
                except (redis.RedisError, OSError):
                    pass
            time.sleep(RESUBSCRIBE)

    def _bump(self, *, available: bool) -> None:
        with self._cond:
            self.version += 1
            self.available = available
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The version once it differs from ``seen``, or after ``timeout`` seconds."""
        with self._cond:
            if self.version == seen:
                self._cond.wait(timeout)
            return self.version

    def shared(self, key: Hashable | None, build: Callable[[], dict], max_age: float = MIN_INTERVAL) -> dict:
        """``build()``, shared by every stream of the same ``key`` for one version (and at most ``max_age`` s).

        A stream that waited for another's build takes its result when it finished after the stream asked
        (nothing newer can exist: a change meanwhile bumps the version), so a slow build under load is not
        repeated once per waiting page, one after another."""
        if key is None:
            return build()
        lock = self._build_locks.setdefault(key, threading.Lock())
        asked = time.monotonic()
        with lock:                          # one build; the others wait and take its result
            version, now = self.version, time.monotonic()
            cached = self._cache.get(key)
            if cached and cached.version == version and (now - cached.started < max_age or cached.finished >= asked):
                return cached.data
            data = build()
            self._cache[key] = _Build(version, now, time.monotonic(), data)
            return data

    def frame(self, key: Hashable | None, event: str, data: dict) -> str:
        """``sse(event, data)``, encoded once for every stream of ``key`` showing the same ``data``."""
        cached = self._cache.get(key) if key is not None else None
        if cached is None or cached.data is not data:      # not the shared build: a frame of its own
            return sse(event, data)
        if event not in cached.frames:
            cached.frames[event] = sse(event, data)
        return cached.frames[event]


def live_hub(client: redis.Redis, channel: str, registry: dict) -> LiveHub:
    """The process's hub for ``channel`` (kept in ``registry``, the Flask app's extensions)."""
    hub = registry.get(("live_hub", channel))
    if hub is None:
        hub = registry.setdefault(("live_hub", channel), LiveHub(client, channel))
    return hub.start()


def snapshot_stream(hub: LiveHub, build: Callable[[], dict], *, first: dict | None = None,
                    share_key: Hashable | None = None, event: str = "snapshot",
                    min_interval: float = MIN_INTERVAL, refresh: float = REFRESH, heartbeat: float = HEARTBEAT,
                    max_seconds: float | None = None) -> Iterator[str]:
    """The events of one open page. ``first``: the snapshot already built (so Redis down was a 503, not a stream)."""
    def fresh() -> dict | None:
        try:
            return hub.shared(share_key, build)
        except redis.RedisError as e:
            hub.trouble.failed(e)
            return None

    yield "retry: 2000\n\n"
    seen = hub.version
    data = first if first is not None else fresh()
    showing = data is not None          # False: the page was told "unavailable" last
    yield hub.frame(share_key, event, data) if showing else sse("unavailable", UNAVAILABLE)
    last_push = last_beat = started = time.monotonic()
    while max_seconds is None or time.monotonic() - started < max_seconds:
        version = hub.wait(seen, timeout=min(1.0, refresh))
        now = time.monotonic()
        changed = version != seen
        if not hub.available:
            seen = version
            if showing:
                yield sse("unavailable", UNAVAILABLE)
                showing, last_push, last_beat = False, now, now
            elif now - last_beat >= heartbeat:
                yield ": heartbeat\n\n"
                last_beat = now
            continue
        if not changed and showing:
            if now - last_push >= refresh:
                changed = True
            elif now - last_beat >= heartbeat:
                yield ": heartbeat\n\n"
                last_beat = now
                continue
            else:
                continue
        if not changed and not showing and now - last_push < RESUBSCRIBE:
            continue
        if changed and version != seen:
            time.sleep(max(COALESCE, min_interval - (now - last_push)))   # the rest of the burst
        seen = hub.version
        data = fresh()
        if data is None:
            if showing:
                yield sse("unavailable", UNAVAILABLE)
            showing = False
        else:
            yield hub.frame(share_key, event, data)
            showing = True
        last_push = last_beat = time.monotonic()
