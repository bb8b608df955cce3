"""Asking the AMI listener to act (登录、签出、示忙、监听): the sending side of the protocol.

Only the listener talks to AMI. Another process (web, CLI) pushes a JSON
command onto the list ``ami:commands`` and waits on its own reply list
``ami:reply:<id>``:

    → {"id": "<hex>", "action": "pause", "agent": "1001", "reason": "break", "sent_at": ..., "expires_at": ...}
    ← {"id": "<hex>", "ok": true, ...}  or  {"id": ..., "ok": false, "error": "not_logged_in", "message": "..."}

Actions: login, logout, pause (reason), unpause, spy (supervisor, mode
listen|whisper|barge), surge_preview (supervisor, prompt), resync, ping.
Each is idempotent (logging in twice is fine), a command id runs at most once,
and a command past its ``expires_at`` is dropped: its sender stopped waiting, so
a pause must not happen minutes later (e.g. after a listener restart).
"""
from __future__ import annotations

import json
import time
import uuid

import redis

from hotline.errors import HotlineError
from hotline.keys import Keys

ACTIONS = ("login", "logout", "pause", "unpause", "spy", "surge_preview", "resync", "ping")
SPY_MODES = ("listen", "whisper", "barge")   # 监听 / 耳语(只对坐席) / 强插(三方)
REPLY_TTL = 60
DEFAULT_TIMEOUT = 4.0    # below the Redis client's 5 s socket timeout


class CommandError(HotlineError):
    """A command that failed, with an HTTP status and a stable error id for the web API."""

    def __init__(self, error: str, message: str, status: int = 409):
        super().__init__(message)
        self.error, self.status = error, status


def new_command(action: str, *, timeout: float = DEFAULT_TIMEOUT, **args) -> dict:
    if action not in ACTIONS:
        raise CommandError("unknown_action", f"unknown listener command {action!r}", 400)
    now = time.time()
    return {"id": uuid.uuid4().hex, "action": action, "sent_at": now, "expires_at": now + timeout,
            **{k: v for k, v in args.items() if v is not None}}


def send_command(client: redis.Redis, keys: Keys, action: str, *, timeout: float = DEFAULT_TIMEOUT,
                 **args) -> dict:
    """Send one command and wait for its reply; raises CommandError when it failed or nobody answered."""
    if not client.exists(keys.listener_heartbeat):
        raise CommandError("listener_down", "the AMI listener is not running or does not see Asterisk "
                           "(`hotline status`)", 503)
    command = new_command(action, timeout=timeout, **args)
    client.rpush(keys.commands, json.dumps(command, ensure_ascii=False))
    reply = client.blpop([keys.command_reply(command["id"])], timeout=max(1, int(timeout)))
    if reply is None:
        raise CommandError("timeout", f"the AMI listener did not answer {action} within {timeout:.0f}s", 504)
    data = json.loads(reply[1])
    if not data.get("ok"):
        raise CommandError(data.get("error", "failed"), data.get("message", f"{action} failed"),
                           int(data.get("status", 409)))
    return data
