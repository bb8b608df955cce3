"""Agents (话务员): create, retire, queues with penalties, languages; the SIP secret is made once and shown once."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.fields import Fields
from centre_config.kind import Kind
from db.models import Agent, Queue, QueueMember, new_sip_secret
from ivr.menu import LANGUAGES

NUMBER = r"[0-9]{3,16}"
SIP_USER = r"[a-z][a-z0-9_]{2,63}"
COLUMNS = ("number", "name", "sip_username", "languages", "skills", "active")
FIELDS = set(COLUMNS) | {"queues"}
MAX_PENALTY = 100


class Agents(Kind):
    name = "agent"
    label = "agent"
    key_field = "number"

    def get(self, session: Session, key: str) -> Agent | None:
        return session.scalar(select(Agent).where(Agent.number == key))

    def keys(self, session: Session) -> list[str]:
        return list(session.scalars(select(Agent.number).order_by(Agent.number)))

    def dump(self, agent: Agent) -> dict[str, Any]:
        """Never the SIP secret: it is shown once when made, and kept out of the audit."""
        data = {name: getattr(agent, name) for name in COLUMNS}
        data["queues"] = {m.queue.name: m.penalty for m in sorted(agent.memberships, key=lambda m: m.queue.name)}
        return data

    def check(self, session: Session, data: dict[str, Any], existing: Agent | None) -> dict[str, Any]:
        f = Fields(data)
        f.unknown(FIELDS)
        number = f.text("number", 16, required=True, pattern=NUMBER, hint="the work number (工号): 3 to 16 digits")
        f.text("name", 64, required=True)
        if data.get("sip_username") in (None, "") and number:
            data = {**data, "sip_username": f"agent{number}"}
            f.data = data
        sip = f.text("sip_username", 64, required=True, pattern=SIP_USER,
                     hint="lowercase letters, digits and '_', starting with a letter (e.g. agent1005)")
        if sip:
            other = session.scalar(select(Agent).where(Agent.sip_username == sip))
            if other is not None and other is not existing:
                f._fail("sip_username", f"{sip} belongs to agent {other.number}")
        raw = data.get("languages") or "zh"
        codes = [c.strip() for c in (raw.split(",") if isinstance(raw, str) else raw) if str(c).strip()]
        bad = [c for c in codes if c not in LANGUAGES]
        if bad or not codes:
            f._fail("languages", f"{', '.join(bad) or 'none'}: languages are {', '.join(LANGUAGES)}")
        f.clean["languages"] = ",".join(codes)
        f.text("skills", 255)
        f.boolean("active", default=True)
        memberships = _queues(session, f, data.get("queues") or {})
        if f.errors:
            raise self.invalid(number or "?", f.errors)
        f.clean["queues"] = memberships
        return f.clean

    def write(self, session: Session, agent: Agent | None, clean: dict[str, Any]) -> Agent:
        if agent is None:
            agent = Agent(number=clean["number"], name=clean["name"], sip_username=clean["sip_username"],
                          sip_secret=new_sip_secret())
            session.add(agent)
        self._set(agent, clean, COLUMNS[1:])
        wanted = {q.id: (q, p) for q, p in clean["queues"]}
        for member in list(agent.memberships):
            if member.queue_id not in wanted:
                agent.memberships.remove(member)
            else:
                member.penalty = wanted.pop(member.queue_id)[1]
        for queue, penalty in wanted.values():
            agent.memberships.append(QueueMember(queue=queue, penalty=penalty))
        session.flush()
        session.expire_all()   # the other side of each membership (agent.memberships / queue.members)
        return agent

    def remove(self, session: Session, agent: Agent) -> Agent:
        """退出: retired, not deleted (calls keep naming the agent); no longer rendered into Asterisk."""
        agent.active = False
        session.flush()
        return agent


def new_secret(session: Session, agent: Agent) -> str:
    """A fresh SIP secret (the old softphone stops registering after the next pjsip reload); shown once."""
    agent.sip_secret = new_sip_secret()
    session.flush()
    return agent.sip_secret


def _queues(session: Session, f: Fields, raw: Any) -> list[tuple[Queue, int]]:
    return f.penalties("queues", raw, lambda name: session.scalar(select(Queue).where(Queue.name == name)),
                       max_penalty=MAX_PENALTY, unknown="there is no queue {key}", bad="penalty in queue {key}",
                       example="queue names to penalties, e.g. {12345: 0, english: 1}")


AGENTS = Agents()
