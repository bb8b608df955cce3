"""Live queue figures in Redis, kept from AMI events (排队实时状态).

This is the foundation slice: per queue, how many callers wait and which
members it has; the wallboard issue grows it into full agent state.
"""
from __future__ import annotations

import time

import redis

from queue_logic.keys import Keys


class LiveState:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def reset_from_queue_status(self, events: list[dict]) -> None:
        """Replace all queue hashes with what QueueStatus reported (after every (re)connect)."""
        pipe = self.r.pipeline()
        for name in self.r.smembers(self.keys.queues):
            pipe.delete(self.keys.queue(name.decode()))
        pipe.delete(self.keys.queues)
        members: dict[str, list[str]] = {}
        for ev in events:
            kind, queue = ev.get("Event"), ev.get("Queue", "")
            if kind == "QueueParams":
                pipe.sadd(self.keys.queues, queue)
                pipe.hset(self.keys.queue(queue), mapping={
                    "waiting": int(ev.get("Calls", 0)), "completed": int(ev.get("Completed", 0)),
                    "abandoned": int(ev.get("Abandoned", 0)), "synced_at": time.time()})
            elif kind == "QueueMember":
                members.setdefault(queue, []).append(ev.get("StateInterface") or ev.get("Location", ""))
        for queue, names in members.items():
            pipe.hset(self.keys.queue(queue), "members", ",".join(sorted(names)))
        pipe.execute()

    def apply(self, event: dict) -> None:
        kind = event.get("Event")
        if kind in ("QueueCallerJoin", "QueueCallerLeave"):
            queue = event.get("Queue", "")
            self.r.hset(self.keys.queue(queue), "waiting", int(event.get("Count", 0)))
        elif kind == "QueueCallerAbandon":
            self.r.hincrby(self.keys.queue(event.get("Queue", "")), "abandoned", 1)
        elif kind == "AgentComplete":
            self.r.hincrby(self.keys.queue(event.get("Queue", "")), "completed", 1)
