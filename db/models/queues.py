"""Queues (队列) and the agents (话务员) who answer them.

Names match Asterisk app_queue names; the queues.conf renderer and the AMI
``QueueAdd`` calls read them from here.
"""
from __future__ import annotations

import secrets

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base


def new_sip_secret() -> str:
    return secrets.token_urlsafe(16)


class Queue(Base):
    """队列."""

    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk queue name
    display_name: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    strategy: Mapped[str] = mapped_column(String(32), default="rrmemory")
    max_wait_seconds: Mapped[int] = mapped_column(default=120)
    overflow_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    wrapup_seconds: Mapped[int] = mapped_column(default=15)
    announce_position: Mapped[bool] = mapped_column(default=True)
    announce_frequency_seconds: Mapped[int] = mapped_column(default=45)
    ring_timeout_seconds: Mapped[int] = mapped_column(default=15)        # ring one agent at most this long
    periodic_announce_seconds: Mapped[int] = mapped_column(default=60)   # "please hold" every … s (0 = never)
    # GB/T 33358: answer within 15 s
    service_level_seconds: Mapped[int] = mapped_column(default=15)

    overflow_queue: Mapped[Queue | None] = relationship(remote_side="Queue.id")
    members: Mapped[list[QueueMember]] = relationship(
        back_populates="queue", cascade="all, delete-orphan"
    )
    agents: Mapped[list[Agent]] = relationship(
        secondary="queue_members", viewonly=True, order_by="Agent.number"
    )

    def __repr__(self) -> str:
        return f"<Queue {self.name}>"


class Agent(Base):
    """话务员; ``number`` is the 工号."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    sip_username: Mapped[str] = mapped_column(String(64), unique=True)
    sip_secret: Mapped[str] = mapped_column(String(64), default=new_sip_secret)
    languages: Mapped[str] = mapped_column(String(64), default="zh")  # "zh,en"
    skills: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[QueueMember]] = relationship(
        back_populates="agent", cascade="all, delete-orphan"
    )
    queues: Mapped[list[Queue]] = relationship(
        secondary="queue_members", viewonly=True, order_by="Queue.name"
    )

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]

    def __repr__(self) -> str:
        return f"<Agent {self.number} {self.sip_username}>"


class QueueMember(Base):
    """An agent's place in a queue; lower penalty is offered calls first."""

    __tablename__ = "queue_members"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    penalty: Mapped[int] = mapped_column(default=0)

    agent: Mapped[Agent] = relationship(back_populates="memberships")
    queue: Mapped[Queue] = relationship(back_populates="members")

    def __repr__(self) -> str:
        return f"<QueueMember agent={self.agent_id} queue={self.queue_id} penalty={self.penalty}>"
