"""The FastAGI server's ear for configuration changes (Redis pub/sub ``Keys.config_channel``).

On every message: drop the routing snapshot (the next call reads the new
lines, menus and switches, no TTL to wait out), and when queues or agents
changed, re-render and reload Asterisk (ops/asterisk/reload.py). One thread;
a lost Redis connection is retried, and the snapshot's TTL covers the gap.
"""
from __future__ import annotations

import json
import logging
import threading
import time

import redis

from agi.config_snapshot import CACHE
from hotline.config import Settings
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from ops.asterisk.reload import apply_config

log = logging.getLogger(__name__)


def start(settings: Settings, stop: threading.Event) -> threading.Thread:
    ready = threading.Event()
    thread = threading.Thread(target=_run, args=(settings, stop, ready), name="config-watch", daemon=True)
    thread.start()
    ready.wait(5)
    return thread


def _run(settings: Settings, stop: threading.Event, ready: threading.Event) -> None:
    channel = Keys(settings.redis_prefix).config_channel
    while not stop.is_set():
        pubsub = None
        try:
            pubsub = redis_client(settings).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
            ready.set()
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None:
                    handle(settings, message.get("data"))
        except redis.RedisError as exc:
            log.warning("configuration watch lost Redis (%s); retrying", exc)
            time.sleep(1)
        finally:
            if pubsub is not None:
                pubsub.close()


def handle(settings: Settings, data) -> None:
    CACHE.invalidate()
    try:
        message = json.loads(data)
        kinds, items = set(message.get("kinds", [])), message.get("items", [])
    except (TypeError, ValueError, AttributeError):
        kinds, items = {"queue", "agent"}, []
    log.info("configuration changed (%s): routing snapshot dropped", ", ".join(items) or "?")
    try:
        done = apply_config(settings, kinds)
    except Exception:      # a failed reload must not stop the watch; the admin sees it in the log
        log.exception("configuration change %s not applied to Asterisk", sorted(kinds))
        return
    if done:
        log.info("configuration change applied to Asterisk (%s): %s", ", ".join(items), "; ".join(done))
