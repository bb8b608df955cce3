"""The listener's command loop over a real Redis: a reply per command, each id once, expired ones dropped."""
from __future__ import annotations

import asyncio
import json
import time

import redis.asyncio as aioredis

from hotline.config import Settings
from queue_logic.ami_listener import AmiListener
from queue_logic.commands import new_command
from tests.support.ami_events import make_directory


def run_commands(tmp_path, client, keys, commands: list[dict]) -> list[dict]:
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_REDIS_PREFIX": keys.prefix})

    async def go():
        listener = AmiListener(settings, client, directory=make_directory())
        r = aioredis.Redis.from_url(settings.redis_url)
        try:
            for command in commands:
                await listener._run_command(r, json.dumps(command).encode())
        finally:
            await r.aclose()

    asyncio.run(go())
    replies = []
    for command in commands:
        raw = client.lpop(keys.command_reply(command["id"]))
        replies.append(json.loads(raw) if raw else None)
    return replies


def test_each_command_gets_its_reply(tmp_path, redis_keys):
    client, keys = redis_keys
    ping, pause = new_command("ping"), new_command("pause", agent="1001", reason="break")
    replies = run_commands(tmp_path, client, keys, [ping, pause])
    assert replies[0] == {"id": ping["id"], "ok": True, "pong": True}
    assert (replies[1]["ok"], replies[1]["error"]) == (False, "not_logged_in")   # the model has 1001 logged out


def test_the_same_id_runs_once_and_an_expired_command_not_at_all(tmp_path, redis_keys):
    client, keys = redis_keys
    ping = new_command("ping")
    expired = {**new_command("ping"), "expires_at": time.time() - 1}
    replies = run_commands(tmp_path, client, keys, [ping, dict(ping), expired])
    assert replies[0]["ok"] and replies[1] is None and replies[2] is None
