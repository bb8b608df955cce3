"""Missed-call callbacks (漏接回拨): one request per caller per centre day, and its dial attempts.

An attempt row is written (claimed) and committed *before* the dialer originates,
so a worker killed mid-call can never place a second call for the same attempt.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.calls import Call
from db.models.queues import Agent
from db.session import utcnow

if TYPE_CHECKING:
    from db.models.return_visits import ReturnVisit


class CallbackStatus(enum.StrEnum):
    pending = "pending"          # waiting for its next attempt (待回拨)
    dialing = "dialing"          # one attempt is out right now
    reached = "reached"          # the citizen answered (已回拨)
    failed = "failed"            # attempts used up
    undialable = "undialable"    # withheld number (号码隐藏): never dialed


class Purpose(enum.StrEnum):
    """What an outbound attempt is for: the one dialer places both."""

    callback = "callback"            # 漏接回拨 / 回拨
    return_visit = "return_visit"    # 回访 (db.models.return_visits)


class AttemptOutcome(enum.StrEnum):
    claimed = "claimed"          # written before dialing; still in flight
    reached = "reached"          # answered
    no_answer = "no_answer"      # 无人接听
    busy = "busy"                # 占线
    refused = "refused"          # 拒接 (SIP 603 / cause 21)
    failed = "failed"            # trunk or network failure
    lost = "lost"                # the worker died mid-attempt: outcome unknown, never redialed


callback_calls = Table(
    "callback_calls",
    Base.metadata,
    Column("callback_id", ForeignKey("callbacks.id", ondelete="CASCADE"), primary_key=True),
    Column("call_id", ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True, unique=True),
)


class Callback(Base):
    """回拨请求."""

    __tablename__ = "callbacks"
    __table_args__ = (UniqueConstraint("caller", "centre_day", name="uq_callbacks_caller_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(64), index=True)
    centre_day: Mapped[dt.date] = mapped_column(index=True)  # the centre's local date of the first missed call
    source: Mapped[str] = mapped_column(String(16))  # abandoned | fallback | voicemail
    status: Mapped[CallbackStatus] = mapped_column(str_enum(CallbackStatus), default=CallbackStatus.pending,
                                                   index=True)
    missed_count: Mapped[int] = mapped_column(default=1)
    attempt_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime]                      # target time (默认 30 分钟)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reached_at: Mapped[dt.datetime | None]

    calls: Mapped[list[Call]] = relationship(secondary=callback_calls, order_by=Call.arrived_at)
    attempts: Mapped[list[CallbackAttempt]] = relationship(back_populates="callback",
                                                           order_by="CallbackAttempt.number")


class CallbackAttempt(Base):
    """One outbound call of the dialer (外呼尝试), for a callback or a return visit (``purpose``)."""

    __tablename__ = "callback_attempts"
    __table_args__ = (UniqueConstraint("callback_id", "number", name="uq_callback_attempts_callback_number"),
                      UniqueConstraint("return_visit_id", "number", name="uq_callback_attempts_return_visit_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose), default=Purpose.callback,
                                             server_default=Purpose.callback.value)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"), index=True)
    return_visit_id: Mapped[int | None] = mapped_column(ForeignKey("return_visits.id", ondelete="CASCADE"),
                                                        index=True)
    number: Mapped[int]                              # 1, 2, 3
    dialed: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[AttemptOutcome] = mapped_column(str_enum(AttemptOutcome), default=AttemptOutcome.claimed)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")   # who dials: worker or agent
    channel_id: Mapped[str] = mapped_column(String(64), unique=True)  # Originate ChannelId = its uniqueid
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
    originate_reason: Mapped[str | None] = mapped_column(String(8))    # OriginateResponse Reason
    hangup_cause: Mapped[str | None] = mapped_column(String(8))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))

    callback: Mapped[Callback | None] = relationship(back_populates="attempts")
    return_visit: Mapped[ReturnVisit | None] = relationship(back_populates="attempts")
    agent: Mapped[Agent | None] = relationship()

    @property
    def request(self):
        """The callback or return visit this attempt belongs to."""
        return self.callback if self.purpose is Purpose.callback else self.return_visit
