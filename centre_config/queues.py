"""Queues (队列): strategy, timeouts, overflow, wrap-up (话后整理), longest wait, announcements, members."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.fields import Fields
from centre_config.kind import Kind
from db.models import Agent, Line, Queue, QueueMember
from ivr.menu import LANGUAGES

NAME = r"[a-z0-9][a-z0-9_-]{0,63}"
# app_queue's strategies (Asterisk 22 apps/app_queue.c)
STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom", "rrordered")
NUMBERS = {  # field → (low, high, default for a new queue)
    "max_wait_seconds": (5, 3600, 120),            # longest wait: then the overflow queue, or voicemail offered
    "ring_timeout_seconds": (5, 120, 15),          # ring one agent at most this long
    "wrapup_seconds": (0, 600, 15),
    "announce_frequency_seconds": (0, 600, 45),    # position announcement (排队播报) every … s
    "periodic_announce_seconds": (0, 600, 60),     # "please hold" every … s
    "service_level_seconds": (1, 600, 15),         # GB/T 33358: 15 s
}
COLUMNS = ("name", "display_name", "language", "strategy", *NUMBERS, "announce_position")
FIELDS = set(COLUMNS) | {"overflow", "members"}
MAX_PENALTY = 100


class Queues(Kind):
    name = "queue"
    label = "queue"
    key_field = "name"

    def get(self, session: Session, key: str) -> Queue | None:
        return session.scalar(select(Queue).where(Queue.name == key))

    def keys(self, session: Session) -> list[str]:
        return list(session.scalars(select(Queue.name).order_by(Queue.name)))

    def dump(self, queue: Queue) -> dict[str, Any]:
        data = {name: getattr(queue, name) for name in COLUMNS}
        data["overflow"] = queue.overflow_queue.name if queue.overflow_queue else None
        data["members"] = {m.agent.number: m.penalty for m in sorted(queue.members, key=lambda m: m.agent.number)}
        return data

    def check(self, session: Session, data: dict[str, Any], existing: Queue | None) -> dict[str, Any]:
        f = Fields(data)
        f.unknown(FIELDS)
        name = f.text("name", 64, required=True, pattern=NAME,
                      hint="lowercase letters, digits, '-' and '_' (it is the Asterisk queue name)")
        f.text("display_name", 128, required=True)
        f.choice("language", LANGUAGES, default="zh")
        f.choice("strategy", STRATEGIES, default="rrmemory")
        for field, (low, high, default) in NUMBERS.items():
            f.integer(field, low, high, default=default)
        f.boolean("announce_position", default=True)
        overflow = f.text("overflow", 64)
        target = None
        if overflow:
            target = self.get(session, overflow)
            if overflow == name:
                f._fail("overflow", "a queue cannot overflow into itself")
            elif target is None:
                f._fail("overflow", f"there is no queue {overflow!r}")
        members = _members(session, f, data.get("members") or {})
        if f.errors:
            raise self.invalid(name or "?", f.errors)
        f.clean["overflow"] = target
        f.clean["members"] = members
        return f.clean

    def write(self, session: Session, queue: Queue | None, clean: dict[str, Any]) -> Queue:
        if queue is None:
            queue = Queue(name=clean["name"], display_name=clean["display_name"])
            session.add(queue)
        self._set(queue, clean, COLUMNS[1:])
        queue.overflow_queue = clean["overflow"]
        wanted: dict[int, tuple[Agent, int]] = {a.id: (a, p) for a, p in clean["members"]}
        for member in list(queue.members):
            if member.agent_id not in wanted:
                queue.members.remove(member)
            else:
                member.penalty = wanted.pop(member.agent_id)[1]
        for agent, penalty in wanted.values():
            queue.members.append(QueueMember(agent=agent, penalty=penalty))
        session.flush()
        session.expire_all()   # the other side of each membership (agent.memberships / queue.members)
        return queue

    def remove(self, session: Session, queue: Queue) -> None:
        users = list(session.scalars(select(Line.number).where(Line.queue_name == queue.name)))
        feeding = list(session.scalars(select(Queue.name).where(Queue.overflow_queue_id == queue.id)))
        if users or feeding:
            raise self.invalid(queue.name, {"name": "still used by " + ", ".join(
                [f"line {n}" for n in users] + [f"queue {n} (overflow)" for n in feeding])})
        session.delete(queue)
        session.flush()
        return None


def _members(session: Session, f: Fields, raw: Any) -> list[tuple[Agent, int]]:
    """``{agent number: penalty}`` → agents and penalties; a message for each unknown agent or bad penalty."""
    return f.penalties("members", raw, lambda number: session.scalar(select(Agent).where(Agent.number == number)),
                       max_penalty=MAX_PENALTY, unknown="there is no agent {key}", bad="penalty of agent {key}",
                       example="agent numbers (工号) to penalties, e.g. {1001: 0}")


QUEUES = Queues()
