"""Return-visit calls (回访, 一事一评): one request per approved reply of a ticket, dialed by the one dialer.

Created when the centre approves a ticket's reply (``tickets.return_visits``); the
outbound dialer (``callbacks.dialer``) claims its attempts like a callback's, the AGI
``return_visit`` asks the citizen and moves the ticket through the workflow. A request
that cannot end on the phone (never reached, no key, confidential, 不接受回访) waits on
the reviewers' return-visit list for a human.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.tickets import Ticket
from db.session import utcnow

if TYPE_CHECKING:
    from db.models.callbacks import CallbackAttempt


class ReturnVisitStatus(enum.StrEnum):
    # the dialer's own states (the same values as a callback's, see callbacks.dialer)
    pending = "pending"          # waiting for its next attempt (待回访)
    dialing = "dialing"          # one attempt is out right now
    reached = "reached"          # the citizen answered; no answer keyed (yet)
    failed = "failed"            # 3 attempts, never answered: for a human (人工回访)
    undialable = "undialable"    # no number, or a withheld one: for a human
    # the return visit's own
    done = "done"                # the citizen keyed the answers; the ticket moved (closed or reopened)
    no_reply = "no_reply"        # answered but keyed nothing usable: for a human
    not_called = "not_called"    # confidential ticket (保密) or the citizen asked not to be called: for a human
    superseded = "superseded"    # the ticket moved on (a human visited it) before the call


class VisitAnswer(enum.StrEnum):
    """The three answers of the phone's satisfaction question (1 / 2 / 3)."""

    satisfied = "satisfied"                      # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"                # 不满意


FOR_A_HUMAN = (ReturnVisitStatus.failed, ReturnVisitStatus.undialable, ReturnVisitStatus.no_reply,
               ReturnVisitStatus.not_called)


def not_callable_because(ticket: Ticket) -> str | None:
    """Why this ticket's citizen must not get a return-visit call, or None."""
    if ticket.confidential:
        return "保密工单: 不电话回访 (confidential)"
    if ticket.do_not_call:
        return "市民不接受回访电话 (asked not to be called)"
    return None


class ReturnVisit(Base):
    """回访请求: one per round of a ticket (a reopened ticket gets a new one after its next reply)."""

    __tablename__ = "return_visits"
    __table_args__ = (UniqueConstraint("ticket_id", "round", name="uq_return_visits_ticket_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(default=0)             # the ticket's reopen_count when it was made
    phone: Mapped[str | None] = mapped_column(String(64))     # the number dialed (the ticket's caller)
    status: Mapped[ReturnVisitStatus] = mapped_column(str_enum(ReturnVisitStatus),
                                                      default=ReturnVisitStatus.pending, index=True)
    note: Mapped[str | None] = mapped_column(String(255))     # why it is not called, or what went wrong
    attempt_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reached_at: Mapped[dt.datetime | None]
    summary_prompt: Mapped[str | None] = mapped_column(String(64))  # generated speech of the reply, if made
    resolved: Mapped[bool | None]                              # 是否解决: key 1 yes / 2 no
    answer: Mapped[VisitAnswer | None] = mapped_column(str_enum(VisitAnswer, 24))
    answered_at: Mapped[dt.datetime | None]

    ticket: Mapped[Ticket] = relationship()
    attempts: Mapped[list[CallbackAttempt]] = relationship(back_populates="return_visit",
                                                           order_by="CallbackAttempt.number")

    @property
    def caller(self) -> str | None:   # the dialer dials a request's ``caller``
        return self.phone
