"""Simulated agents (模拟坐席) for a load run: real rows in the agents table, real PJSIP endpoints.

``ensure_agents`` creates agents L001.. (工号 ``9001``.., SIP user ``load9001``..) as members of
one queue, renders and reloads Asterisk the way a configuration change does
(ops.asterisk.reload.apply_config) and logs them into their queue. Their SIP secrets stay in
the agents table and go to sipp only in an injection file of mode 0600 in the run folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from db.models import Agent, Queue, QueueMember
from db.session import session_factory_for, session_scope
from hotline.config import Settings
from hotline.errors import HotlineError

FIRST_NUMBER = 9001
PREFIX = "load"


@dataclass(frozen=True)
class LoadAgent:
    number: str
    sip_username: str
    sip_secret: str


def load_numbers(count: int) -> list[str]:
    return [str(FIRST_NUMBER + i) for i in range(count)]


def ensure_agents(settings: Settings, count: int, queue: str) -> list[LoadAgent]:
    """Create (or reactivate) ``count`` load agents in ``queue``; returns them with their secrets."""
    if settings.softphones == "all":
        raise HotlineError("the carrier simulator would register softphones for the load agents too",
                           "set HOTLINE_SOFTPHONES=none (or the demo agents, e.g. 1001,1002) for a load run")
    numbers = load_numbers(count)
    with session_scope(session_factory_for(settings.database_url)) as session:
        q = session.scalars(select(Queue).where(Queue.name == queue)).one_or_none()
        if q is None:
            raise HotlineError(f"no queue {queue!r} in the database", "pass --queue with a queue of `hotline queues`")
        existing = {a.number: a for a in session.scalars(select(Agent).where(Agent.number.in_(numbers)))}
        made = []
        for number in numbers:
            agent = existing.get(number)
            if agent is None:
                agent = Agent(number=number, name=f"压测坐席{number}", sip_username=f"{PREFIX}{number}")
                session.add(agent)
                session.flush()
            agent.active = True
            if not any(m.queue_id == q.id for m in agent.memberships):
                session.add(QueueMember(agent_id=agent.id, queue_id=q.id, penalty=0))
            made.append(LoadAgent(agent.number, agent.sip_username, agent.sip_secret))
    return made


def apply_and_login(settings: Settings, agents: list[LoadAgent]) -> None:
    """Render + reload pjsip/queues (a configuration change), then log the agents in (QueueAdd)."""
    from ops.asterisk.reload import apply_config
    from queue_logic.agent_sessions import login_direct, pbx_ami
    from queue_logic.directory import load_directory

    apply_config(settings, {"agent", "queue"})
    wanted = {a.number for a in agents}
    with session_scope(session_factory_for(settings.database_url)) as session:
        infos = [a for n, a in load_directory(session).agents.items() if n in wanted]
    with pbx_ami(settings) as ami:
        login_direct(ami, infos, timeout=30.0)


def injection_file(agents: list[LoadAgent], path: Path) -> Path:
    """sipp -inf: one line per agent, ``user;[authentication …]``; 0600 (it holds SIP secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("SEQUENTIAL\n")
        for a in agents:
            f.write(f"{a.sip_username};[authentication username={a.sip_username} password={a.sip_secret}]\n")
    return path
