"""Calls (来电记录): one row per inbound call leg, written by the AGI and AMI side.

Kept even when the call leaves 12345 (sub-centre / emergency transfers), because
answer-rate KPIs and supervision (智能监督) count every offered call.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.departments import Department
from db.models.lines import Line, LineMode
from db.models.queues import Agent
from db.session import utcnow

if TYPE_CHECKING:
    from db.models.tickets import Ticket


class CallOutcome(enum.StrEnum):
    answered = "answered"          # 接通: an agent took it
    abandoned = "abandoned"        # 放弃: caller hung up before an agent → call back (漏接回拨)
    transferred = "transferred"    # one-key transfer to a sub-centre
    emergency = "emergency"        # transferred to 110/119/120/122
    self_served = "self_served"    # finished in the department's self-service
    fallback = "fallback"          # Python was unreachable; dialplan's own route
    voicemail = "voicemail"        # 留言: no agent, the citizen left a message (→ intake ticket, call back)
    virtual_hold = "virtual_hold"  # 回拨预约: kept the place in the queue and hung up; a placeholder waits, an agent
                                   # calls back (callbacks/virtual_hold.py); never abandoned, never a missed call
    unknown = "unknown"            # 未知: the end was never seen (stale record); left out of service levels


class Call(Base):
    """来电记录. ``outcome`` None means the call is still in progress."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)  # Asterisk UNIQUEID
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    # correlation id the carrier sends in a SIP header
    trace_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    caller: Mapped[str] = mapped_column(String(64), default="", index=True)
    dialed_number: Mapped[str] = mapped_column(String(32), default="", index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    line_mode: Mapped[LineMode | None] = mapped_column(str_enum(LineMode))  # mode at call time
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(8), default="zh")
    arrived_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    queue_joined_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    queue_name: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    outcome: Mapped[CallOutcome | None] = mapped_column(str_enum(CallOutcome))
    ivr_path: Mapped[str] = mapped_column(String(255), default="")  # keys pressed, e.g. "2>1"
    recording_file: Mapped[str | None] = mapped_column(String(512))
    wait_seconds: Mapped[float | None]
    talk_seconds: Mapped[float | None]
    hangup_cause: Mapped[str | None] = mapped_column(String(32))
    # 一次一评: the citizen's own key after the agent hung up, 1 very satisfied … 5 very dissatisfied;
    # None = not asked, or no valid key (never taken as "satisfied")
    rating: Mapped[int | None]
    rating_offered_at: Mapped[dt.datetime | None]   # the agent hung up and the survey started
    # 留言 (voicemail/): the message the citizen recorded (Record()), its length, and what became of it:
    # None = not looked at yet; kept (→ ticket) | too_short | silent | missing (dropped, file removed) | error
    voicemail_file: Mapped[str | None] = mapped_column(String(512))
    voicemail_seconds: Mapped[float | None]
    voicemail_status: Mapped[str | None] = mapped_column(String(16))

    line: Mapped[Line | None] = relationship()
    department: Mapped[Department | None] = relationship()
    agent: Mapped[Agent | None] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(
        secondary="ticket_calls", back_populates="calls"
    )
    # 工单查询: the tickets asked about by phone on this call (db/models/selfservice.py), in order
    ticket_queries: Mapped[list["TicketQuery"]] = relationship(  # noqa: F821 - by name, no import cycle
        order_by="TicketQuery.id", viewonly=True)

    def __repr__(self) -> str:
        return f"<Call {self.uniqueid} {self.dialed_number} {self.outcome}>"
