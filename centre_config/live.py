"""After a change is committed: remake what it needs (a greeting's prompt) and tell the running services.

One pub/sub message per commit on ``Keys.config_channel``: the FastAGI server drops its
routing snapshot at once (else it reloads within its 2 s TTL anyway), and re-renders
and reloads Asterisk when queues or agents changed (ops/asterisk/reload.py). No
subscriber, or Redis down: the change is saved all the same, and the messages say so.
"""
from __future__ import annotations

import json
import logging

import redis

from centre_config.greetings import speak
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.keys import Keys
from hotline.redis_conn import redis_client

log = logging.getLogger(__name__)
ASTERISK_KINDS = frozenset({"queue", "agent"})   # what queues.conf and pjsip.conf are rendered from

Change = tuple[str, str, "dict | None", "dict | None"]


def after_commit(settings: Settings, changes: list[Change], client: redis.Redis | None = None) -> list[str]:
    """Remake greetings, publish the change; returns what happened, for the admin to read."""
    if not changes:
        return []
    notes = _greetings(settings, changes)
    message = {"kinds": sorted({kind for kind, *_ in changes}),
               "items": [f"{kind}:{key}" for kind, key, *_ in changes]}
    try:
        client = client or redis_client(settings)
        receivers = client.publish(Keys(settings.redis_prefix).config_channel, json.dumps(message))
    except redis.RedisError as exc:
        log.warning("configuration change not announced: %s", exc)
        return notes + [f"Redis unreachable ({exc}): calls see the change within 2 s; queues and agents reach "
                        "Asterisk at the next `hotline asterisk up`"]
    if receivers == 0:
        notes.append("no running FastAGI server heard the change: it applies when the hotline starts "
                     "(`hotline up`)")
    elif ASTERISK_KINDS & set(message["kinds"]):
        notes.append("Asterisk is re-rendered and reloaded by the FastAGI server (no restart)")
    return notes


def _greetings(settings: Settings, changes: list[Change]) -> list[str]:
    notes = []
    for kind, key, before, after in changes:
        if kind != "line" or not after or not after.get("greeting_text"):
            continue
        old = before or {}
        if (old.get("greeting_text"), old.get("language")) == (after["greeting_text"], after["language"]):
            continue
        try:
            speak(settings, key, after["language"], after["greeting_text"])
            notes.append(f"greeting of line {key} spoken into prompt line-{key}")
        except HotlineError as exc:
            notes.append(f"greeting of line {key} not generated: {exc.problem} (callers hear the default)")
    return notes
