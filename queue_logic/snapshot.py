"""What the wallboard shows (大屏): live state and today's KPIs, read from Redis in two round trips.

KPI formulas (shown next to the numbers on the wallboard):
- 人工接通率 answer rate = answered / (answered + abandoned + exited) — calls that
  finished waiting in this queue today; target ≥ 95 % (GB/T 33358).
- 15 秒接通率 15-second answer rate = answered within the queue's service level
  (15 s) / answered; target ≥ 80 %.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import redis

from hotline.keys import Keys

ANSWER_RATE_TARGET = 0.95
SERVICE_LEVEL_TARGET = 0.80
COUNTERS = ("offered", "answered", "answered_in_sl", "abandoned", "exited", "wait_seconds", "talk_seconds")


def today(timezone: str, now: float | None = None) -> str:
    return dt.datetime.fromtimestamp(now or time.time(), ZoneInfo(timezone)).strftime("%Y%m%d")


def _decode(h: dict) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in h.items()}


def rates(counters: dict[str, int]) -> dict:
    """Answer rate and 15-second answer rate, None when there is nothing to divide yet."""
    finished = counters["answered"] + counters["abandoned"] + counters["exited"]
    answer_rate = counters["answered"] / finished if finished else None
    sl_rate = counters["answered_in_sl"] / counters["answered"] if counters["answered"] else None
    return {
        "answer_rate": answer_rate, "sl_rate": sl_rate,
        "answer_rate_alert": answer_rate is not None and answer_rate < ANSWER_RATE_TARGET,
        "sl_rate_alert": sl_rate is not None and sl_rate < SERVICE_LEVEL_TARGET,
        "average_wait": counters["wait_seconds"] / counters["answered"] if counters["answered"] else None,
    }


def wallboard_snapshot(client: redis.Redis, keys: Keys, day: str, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    pipe = client.pipeline(transaction=True)
    pipe.smembers(keys.queues)
    pipe.smembers(keys.agents)
    pipe.hgetall(keys.listener_status)
    pipe.exists(keys.listener_heartbeat)
    queue_names, agent_numbers, status, heartbeat = pipe.execute()
    queue_names = sorted(n.decode() for n in queue_names)
    agent_numbers = sorted(n.decode() for n in agent_numbers)
    pipe = client.pipeline(transaction=True)
    for q in queue_names:
        pipe.hgetall(keys.queue(q))
        pipe.hgetall(keys.queue_callers(q))
        pipe.hgetall(keys.queue_stats(q, day))
    for n in agent_numbers:
        pipe.hgetall(keys.agent(n))
        pipe.hgetall(keys.agent_stats(n, day))
    results = pipe.execute()

    queues = []
    for i, name in enumerate(queue_names):
        info, callers_raw, stats_raw = (_decode(h) for h in results[3 * i:3 * i + 3])
        callers = sorted((json.loads(v) for v in callers_raw.values()), key=lambda c: (c["position"], c["joined_at"]))
        counters = {c: int(stats_raw.get(c, 0)) for c in COUNTERS}
        queues.append({
            "name": name, "service_level": int(info.get("service_level") or 15),
            "members": [m for m in info.get("members", "").split(",") if m],
            "waiting": len(callers), "callers": callers,
            "longest_wait": max((now - c["joined_at"] for c in callers), default=0.0),
            **counters, **rates(counters),
        })
    agents = []
    base = 3 * len(queue_names)
    for i, number in enumerate(agent_numbers):
        h, stats = _decode(results[base + 2 * i]), _decode(results[base + 2 * i + 1])
        if not h:
            continue
        agents.append({**h, "since": float(h.get("since") or 0), "duration": now - float(h.get("since") or now),
                       "answered": int(stats.get("answered", 0)), "talk_seconds": int(stats.get("talk_seconds", 0))})
    status = _decode(status)
    return {
        "now": now, "day": day,
        "listener": {"connected": bool(heartbeat) and status.get("connected") == "1",
                     "since": float(status.get("since") or 0), "events": int(status.get("events") or 0)},
        "targets": {"answer_rate": ANSWER_RATE_TARGET, "sl_rate": SERVICE_LEVEL_TARGET},
        "queues": queues, "agents": agents,
    }


def agent_snapshot(client: redis.Redis, keys: Keys, number: str, day: str, now: float | None = None) -> dict:
    """One agent's own state (坐席状态) for the agent workspace."""
    now = time.time() if now is None else now
    h = _decode(client.hgetall(keys.agent(number)))
    stats = _decode(client.hgetall(keys.agent_stats(number, day)))
    since = float(h.get("since") or 0)
    return {"number": number, "state": h.get("state", "logged_out"), "reason": h.get("reason", ""),
            "since": since, "duration": now - since if since else 0.0, "queues": h.get("queues", ""),
            "phone": h.get("phone", ""), "call_line": h.get("call_line", ""),
            "call_line_name": h.get("call_line_name", ""), "call_caller": h.get("call_caller", ""),
            "call_uniqueid": h.get("call_uniqueid", ""),
            "answered": int(stats.get("answered", 0)), "talk_seconds": int(stats.get("talk_seconds", 0)),
            "listener": bool(client.exists(keys.listener_heartbeat)), "now": now}
