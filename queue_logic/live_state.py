"""The live model written to Redis (排队实时状态), and read back after a listener restart.

The listener is the only writer. It writes what changed in one pipeline per
batch of events (one round trip however many events a TCP read carried) and
then publishes one message on the ``live`` channel, which the wallboard streams
listen to. Key layout: hotline.keys.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict

import redis

from hotline.keys import Keys
from hotline.redis_conn import TroubleLog
from queue_logic.model import Agent, AgentCall, Caller, Changes, LiveModel

log = logging.getLogger("queue_logic.live_state")

STATS_TTL = 3 * 86400   # today's counters are kept a few days for yesterday's comparison


def agent_fields(agent: Agent) -> dict[str, str]:
    call = agent.call or AgentCall("", "")
    paused = [m for m in agent.memberships.values() if m.paused]
    return {
        "number": agent.number, "name": agent.name, "interface": agent.interface,
        "state": agent.state, "reason": agent.reason, "since": f"{agent.since:.3f}",
        "phase": agent.phase, "wrapup_until": f"{agent.wrapup_until:.3f}",
        "queues": ",".join(f"{q}:{m.penalty}" for q, m in sorted(agent.memberships.items())),
        "paused": "1" if paused else "0",      # app_queue's flag: may be set while still talking
        "pause_reason": paused[0].reason if paused else "",
        "phone": "offline" if agent.phone_offline else "online",
        "call_uniqueid": call.uniqueid, "call_queue": call.queue, "call_caller": call.caller,
        "call_line": call.line, "call_line_name": call.line_name, "call_channel": call.channel,
        "call_started_at": f"{call.started_at:.3f}" if call.started_at else "",
    }


class LiveState:
    """Also keeps the totals of the counters it wrote (today's offered, answered, ...), so a Redis that comes
    back empty (restarted without persistence) gets them back whole (``restore_after_loss``)."""

    def __init__(self, client: redis.Redis, keys: Keys, model: LiveModel):
        self.r, self.keys, self.model = client, keys, model
        self.writes = 0
        self.totals: dict[str, dict[str, int]] = {}     # counters key → field → total written
        self.trouble = TroubleLog(log, "live state: Redis write")

    def load_counters(self, days: list[str]) -> None:
        """Read the counters already in Redis (a listener restart) into the totals kept in memory."""
        names = [("queue", q) for q in self.model.queues] + [("agent", n) for n in self.model.agents]
        keys = [self.keys.queue_stats(n, d) if kind == "queue" else self.keys.agent_stats(n, d)
                for kind, n in names for d in days]
        if not keys:
            return
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        for key, raw in zip(keys, pipe.execute()):
            if raw:
                self.totals[key] = {f.decode(): int(v) for f, v in raw.items()}

    def seed_counters(self, day: str, counters: dict[tuple[str, str], dict[str, int]]) -> int:
        """Write counters rebuilt elsewhere (queue_logic.day_counters) where Redis has none; returns how many."""
        written = 0
        for (kind, name), fields in counters.items():
            key = self.keys.queue_stats(name, day) if kind == "queue" else self.keys.agent_stats(name, day)
            if key in self.totals or self.r.exists(key):
                continue
            pipe = self.r.pipeline(transaction=True)
            pipe.hset(key, mapping=fields)
            pipe.expire(key, STATS_TTL)
            pipe.execute()
            self.totals[key] = dict(fields)
            written += 1
        return written

    def has_counters(self, day: str) -> bool:
        marker = f"stats:{day}:"
        return any(marker in key for key in self.totals)

    def restore_after_loss(self) -> None:
        """Redis lost everything: write every counter total back, and the whole model at the next flush."""
        pipe = self.r.pipeline(transaction=True)
        for key, fields in self.totals.items():
            pipe.delete(key)
            if fields:
                pipe.hset(key, mapping=fields)
                pipe.expire(key, STATS_TTL)
        pipe.execute()
        self.model.changes.full = True
        log.warning("Redis came back empty: %d counter sets and the live state rewritten", len(self.totals))

    # --- after a restart: what the previous listener knew ---------------------------------
    def load_previous(self) -> None:
        """Since-times, calls in progress and callers' lines; QueueStatus then says what still holds."""
        numbers = [n.decode() for n in self.r.smembers(self.keys.agents)]
        pipe = self.r.pipeline(transaction=False)
        for n in numbers:
            pipe.hgetall(self.keys.agent(n))
        for n, raw in zip(numbers, pipe.execute()):
            h = {k.decode(): v.decode() for k, v in raw.items()}
            if not h:
                continue
            agent = self.model.agents.get(n) or self.model.agent_for(h.get("interface", n), h.get("name", n))
            agent.state, agent.reason = h.get("state", agent.state), h.get("reason", "")
            agent.since, agent.phase = float(h.get("since") or 0), h.get("phase", "")
            agent.wrapup_until = float(h.get("wrapup_until") or 0)
            if h.get("call_uniqueid"):
                agent.call = AgentCall(h["call_uniqueid"], h.get("call_queue", ""), h.get("call_caller", ""),
                                       h.get("call_line", ""), h.get("call_line_name", ""),
                                       h.get("call_channel", ""), float(h.get("call_started_at") or 0))
        for q in (q.decode() for q in self.r.smembers(self.keys.queues)):
            for uid, raw in self.r.hgetall(self.keys.queue_callers(q)).items():
                c = Caller(**json.loads(raw))
                self.model.callers.setdefault(q, {})[uid.decode()] = c

    # --- writing ---------------------------------------------------------------------------
    def flush(self) -> bool:
        """Write what changed since the last flush; False when there was nothing to write."""
        changes = self.model.take_changes()
        if not changes:
            return False
        try:
            self._write(changes)
        except redis.RedisError as e:
            self.trouble.failed(e)    # once per interval: Redis down fails every batch the same way
            for key, amount in changes.counters.items():
                self.model.changes.count(*key, amount)
            self.model.changes.full = True
            return False
        self.trouble.ok()
        self.writes += 1
        return True

    def _write(self, c: Changes) -> None:
        m, k = self.model, self.keys
        pipe = self.r.pipeline(transaction=True)   # readers never see a half-written batch
        agents, queues = (set(m.agents), set(m.queues)) if c.full else (c.agents, c.queues)
        if c.full:
            for stale in {n.decode() for n in self.r.smembers(k.queues)} - queues:
                pipe.delete(k.queue(stale), k.queue_callers(stale))
            for stale in {n.decode() for n in self.r.smembers(k.agents)} - agents:
                pipe.delete(k.agent(stale))
            pipe.delete(k.queues, k.agents)
        for n in agents:
            pipe.hset(k.agent(n), mapping=agent_fields(m.agents[n]))
        if agents:
            pipe.sadd(k.agents, *agents)
        for q in queues:
            info, callers = m.queues.get(q), m.callers.get(q, {})
            if info is None:
                continue
            pipe.hset(k.queue(q), mapping={"name": q, "strategy": info.strategy,
                                           "service_level": info.service_level, "waiting": len(callers),
                                           "members": ",".join(sorted(info.members)),
                                           "synced_at": f"{time.time():.3f}"})
            if c.full:
                pipe.delete(k.queue_callers(q))
                if callers:
                    pipe.hset(k.queue_callers(q), mapping={u: json.dumps(asdict(x), ensure_ascii=False)
                                                           for u, x in callers.items()})
        if queues:
            pipe.sadd(k.queues, *queues)
        if not c.full:
            for (q, uid), caller in c.callers_set.items():
                pipe.hset(k.queue_callers(q), uid, json.dumps(asdict(caller), ensure_ascii=False))
            for q, uid in c.callers_gone:
                pipe.hdel(k.queue_callers(q), uid)
        stats_keys = set()
        written = []
        for (kind, name, day, field), amount in c.counters.items():
            key = k.queue_stats(name, day) if kind == "queue" else k.agent_stats(name, day)
            pipe.hincrby(key, field, amount)
            stats_keys.add(key)
            written.append((key, field, amount))
        for key in stats_keys:
            pipe.expire(key, STATS_TTL)
        pipe.publish(k.live_channel, json.dumps({"t": round(time.time(), 3), "agents": sorted(agents),
                                                 "queues": sorted(queues), "full": c.full}))
        pipe.execute()
        for key, field, amount in written:
            fields = self.totals.setdefault(key, {})
            fields[field] = fields.get(field, 0) + amount
