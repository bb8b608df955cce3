"""Tickets (工单) and their audit trail (工单流转记录).

Deliberately minimal: the state machine lives in a service and grows this
model later. ``version`` gives optimistic locking, because an agent, a
department and a supervisor may edit the same ticket at once.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.calls import Call
from db.models.departments import Department
from db.models.lines import Line
from db.session import utcnow


class TicketChannel(enum.StrEnum):
    phone = "phone"
    web = "web"
    sms = "sms"
    wechat = "wechat"
    mailbox = "mailbox"      # 市长信箱


class TicketCategory(enum.StrEnum):
    consultation = "consultation"  # 咨询
    help = "help"                  # 求助
    complaint = "complaint"        # 投诉
    suggestion = "suggestion"      # 建议
    report = "report"              # 举报
    praise = "praise"              # 表扬


class TicketUrgency(enum.StrEnum):
    normal = "normal"        # 一般
    urgent = "urgent"        # 紧急
    critical = "critical"    # 特急


ticket_calls = Table(
    "ticket_calls",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("call_id", ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Ticket(Base):
    """工单."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # "GD20261122000123"
    channel: Mapped[TicketChannel] = mapped_column(
        str_enum(TicketChannel), default=TicketChannel.phone
    )
    caller_name: Mapped[str | None] = mapped_column(String(64))
    caller_phone: Mapped[str | None] = mapped_column(String(64), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    category: Mapped[TicketCategory] = mapped_column(str_enum(TicketCategory))
    topic: Mapped[str | None] = mapped_column(String(128))
    urgency: Mapped[TicketUrgency] = mapped_column(
        str_enum(TicketUrgency), default=TicketUrgency.normal
    )
    address: Mapped[str | None] = mapped_column(String(255))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    grid: Mapped[str | None] = mapped_column(String(64))  # 网格
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    description: Mapped[str] = mapped_column(Text, default="")
    confidential: Mapped[bool] = mapped_column(default=False)  # 保密 (GB/T 33358)
    state: Mapped[str] = mapped_column(String(24), default="intake", index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )  # primary handler (主办)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}

    line: Mapped[Line | None] = relationship()
    district: Mapped[Department | None] = relationship(foreign_keys=[district_id])
    street: Mapped[Department | None] = relationship(foreign_keys=[street_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    calls: Mapped[list[Call]] = relationship(
        secondary=ticket_calls, back_populates="tickets", order_by=Call.arrived_at
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.state} v{self.version}>"


class TicketEvent(Base):
    """工单流转记录: who did what, when, from which state to which, and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<TicketEvent {self.ticket_id} {self.event} {self.from_state}->{self.to_state}>"
