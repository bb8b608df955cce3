"""Who is who for the live state (坐席与队列目录): agents, their queues, wrap-up, line names.

Read once from the database (and again at every resync), so the listener can
turn ``PJSIP/agent1001`` into agent 1001 张伟 and a dialed number into its line
without a query per event.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Agent, Line, Queue, QueueMember

DEFAULT_SERVICE_LEVEL = 15   # GB/T 33358: answer within 15 s


def interface_of(sip_username: str) -> str:
    """The queue member interface of an agent's softphone (also its state interface)."""
    return f"PJSIP/{sip_username}"


def member_name(number: str, name: str) -> str:
    """MemberName in app_queue (and queue_log): "1001 张伟"; no commas, they split dialplan arguments."""
    return f"{number} {name}".replace(",", " ").replace("|", " ")


@dataclass(frozen=True)
class AgentInfo:
    number: str              # 工号
    name: str
    sip_username: str
    queues: tuple[tuple[str, int], ...] = ()   # (queue, penalty): what login joins

    @property
    def interface(self) -> str:
        return interface_of(self.sip_username)

    @property
    def member_name(self) -> str:
        return member_name(self.number, self.name)


@dataclass(frozen=True)
class QueueSettings:
    name: str
    display_name: str
    wrapup_seconds: int = 0
    service_level_seconds: int = DEFAULT_SERVICE_LEVEL


@dataclass
class Directory:
    agents: dict[str, AgentInfo] = field(default_factory=dict)           # number → agent
    queues: dict[str, QueueSettings] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)                 # dialed number → line name

    def __post_init__(self) -> None:
        self._by_interface = {a.interface: a for a in self.agents.values()}

    def by_interface(self, interface: str) -> AgentInfo | None:
        return self._by_interface.get(interface)

    def wrapup_seconds(self, queue: str) -> int:
        q = self.queues.get(queue)
        return q.wrapup_seconds if q else 0

    def service_level(self, queue: str) -> int:
        q = self.queues.get(queue)
        return q.service_level_seconds if q else DEFAULT_SERVICE_LEVEL

    def line_name(self, number: str) -> str:
        return self.lines.get(number, "") if number else ""


def load_directory(session: Session) -> Directory:

    agents = {}
    for a in session.scalars(select(Agent).where(Agent.active.is_(True))
                             .options(selectinload(Agent.memberships).selectinload(QueueMember.queue))):
        queues = tuple(sorted((m.queue.name, m.penalty) for m in a.memberships))
        agents[a.number] = AgentInfo(a.number, a.name, a.sip_username, queues)
    queues = {q.name: QueueSettings(q.name, q.display_name or q.name, q.wrapup_seconds or 0,
                                    q.service_level_seconds or DEFAULT_SERVICE_LEVEL)
              for q in session.scalars(select(Queue))}
    lines = {line.number: line.name for line in session.scalars(select(Line))}
    return Directory(agents, queues, lines)
