"""Tickets (工单), their assignments to departments, extension requests and audit trail.

The state machine itself lives in ``tickets.states`` / ``tickets.workflow``; this
module only holds the rows. ``version`` gives optimistic locking, because an
agent, a department and a reviewer may act on the same ticket at once.
Timestamps are naive UTC like everywhere else; deadlines are computed on the
centre's local working-day calendar and stored in UTC.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.calls import Call
from db.models.departments import Department
from db.models.lines import Line
from db.session import utcnow

if TYPE_CHECKING:
    from db.models.topics import Topic


class TicketChannel(enum.StrEnum):
    phone = "phone"
    web = "web"
    sms = "sms"
    wechat = "wechat"
    mailbox = "mailbox"      # 市长信箱
    voicemail = "voicemail"  # 留言: a message left on the hotline (voicemail/)


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


class TicketState(enum.StrEnum):
    """Where a ticket is in the closed loop (闭环); transitions in ``tickets.states``."""

    intake = "intake"                            # 受理: written, not yet dispatched
    dispatched = "dispatched"                    # 已派单, waiting for 签收
    accepted = "accepted"                        # 已签收, 办理中: the department works on it
    returned = "returned"                        # 退单, waiting for the centre's review
    extension_requested = "extension_requested"  # 延期申请, waiting for the centre
    replied = "replied"                          # 已答复, waiting for the centre's 审核
    awaiting_visit = "awaiting_visit"            # 待回访
    visited = "visited"                          # 已回访
    closed = "closed"                            # 办结
    archived = "archived"                        # 归档
    merged = "merged"                            # 已并单 into another ticket


# State groupings; the transitions themselves are declared in ``tickets.states``.
QUERY_CODE_DIGITS = 4   # 查询码 length: keyed by the citizen on the phone (selfservice.progress)

_S = TicketState
OPEN_STATES = (_S.intake, _S.dispatched, _S.accepted, _S.returned, _S.extension_requested, _S.replied,
               _S.awaiting_visit, _S.visited)   # still being worked on (未办结)
WITH_DEPARTMENT = (_S.dispatched, _S.accepted, _S.extension_requested)   # a department holds it, deadlines run
FINAL_STATES = (_S.archived, _S.merged)


class Satisfaction(enum.StrEnum):
    """The citizen's rating (一事一评), five levels."""

    very_satisfied = "very_satisfied"        # 非常满意
    satisfied = "satisfied"                  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意 (the phone return visit's middle answer)
    neutral = "neutral"                      # 一般
    dissatisfied = "dissatisfied"            # 不满意
    very_dissatisfied = "very_dissatisfied"  # 非常不满意


class AssignmentRole(enum.StrEnum):
    primary = "primary"  # 主办
    co = "co"            # 协办


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
    caller_email: Mapped[str | None] = mapped_column(String(128))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id", ondelete="SET NULL"))
    category: Mapped[TicketCategory] = mapped_column(str_enum(TicketCategory))
    topic: Mapped[str | None] = mapped_column(String(128))  # the topic's path when written
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
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
    # 不接受回访电话: the citizen asked not to be called back about it (never dialed for a return visit)
    do_not_call: Mapped[bool] = mapped_column(default=False, server_default=false())
    state: Mapped[TicketState] = mapped_column(
        str_enum(TicketState, 24), default=TicketState.intake, index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id"), index=True
    )  # primary handler (主办)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column()

    # --- the loop's milestones (KPIs read these) ---
    resolved_on_call: Mapped[bool] = mapped_column(default=False, server_default=false())  # 直办
    dispatched_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    replied_at: Mapped[dt.datetime | None]
    visited_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)  # 答复 / the answer given on the call
    satisfaction: Mapped[Satisfaction | None] = mapped_column(str_enum(Satisfaction, 24))
    visit_resolved: Mapped[bool | None]   # 回访: the citizen said the matter is resolved (True) or not (False)
    call_rating: Mapped[int | None]   # 一次一评 of the call the ticket was made from (calls.rating)
    reopen_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    # --- deadlines (时限), UTC; ``deadline_estimated`` = the calendar did not know a year ---
    accept_due_at: Mapped[dt.datetime | None]
    handle_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    return_due_at: Mapped[dt.datetime | None]  # 退单 is possible until then
    visit_due_at: Mapped[dt.datetime | None]
    deadline_estimated: Mapped[bool] = mapped_column(default=False, server_default=false())
    extension_days: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    accept_reminded_at: Mapped[dt.datetime | None]
    accept_overdue: Mapped[bool] = mapped_column(default=False, server_default=false())
    overdue: Mapped[bool] = mapped_column(default=False, server_default=false())  # 逾期
    supervised: Mapped[bool] = mapped_column(default=False, server_default=false())  # 督办
    supervised_at: Mapped[dt.datetime | None]

    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))  # 并单
    public_token: Mapped[str | None] = mapped_column(String(40), unique=True)  # Open311 token
    # Open311 privacy (公开): the channel submitted it as public; the centre published the reply
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    reply_published: Mapped[bool] = mapped_column(default=False, server_default=false())
    # 查询码: a short numeric code told to the citizen at intake; it opens a confidential ticket by phone
    query_code: Mapped[str | None] = mapped_column(String(8))

    __mapper_args__ = {"version_id_col": version}

    line: Mapped[Line | None] = relationship()
    topic_ref: Mapped[Topic | None] = relationship()
    district: Mapped[Department | None] = relationship(foreign_keys=[district_id])
    street: Mapped[Department | None] = relationship(foreign_keys=[street_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    merged_into: Mapped[Ticket | None] = relationship(remote_side="Ticket.id")
    calls: Mapped[list[Call]] = relationship(
        secondary=ticket_calls, back_populates="tickets", order_by=Call.arrived_at
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )
    assignments: Mapped[list[TicketAssignment]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketAssignment.id"
    )
    extensions: Mapped[list[TicketExtension]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketExtension.id"
    )

    @property
    def co_assignments(self) -> list[TicketAssignment]:
        return [a for a in self.assignments if a.active and a.role is AssignmentRole.co]

    @property
    def pending_extension(self) -> TicketExtension | None:
        return next((e for e in self.extensions if e.approved is None), None)

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
    actor_role: Mapped[str | None] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)  # e.g. "→ scjgj + co cgj", "+3 working days"

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    def __repr__(self) -> str:
        return f"<TicketEvent {self.ticket_id} {self.event} {self.from_state}->{self.to_state}>"


class TicketAssignment(Base):
    """派单记录: one department's part in a ticket, 主办 or 协办; kept after it ends."""

    __tablename__ = "ticket_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(str_enum(AssignmentRole))
    active: Mapped[bool] = mapped_column(default=True)
    dispatched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[dt.datetime | None]
    opinion: Mapped[str | None] = mapped_column(Text)  # 协办意见
    opinion_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()


class TicketExtension(Base):
    """延期申请: asked by the handling department, decided by the centre."""

    __tablename__ = "ticket_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    days: Mapped[int] = mapped_column()  # working days asked for
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved: Mapped[bool | None]  # None = not decided yet
    granted_days: Mapped[int | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="extensions")
    department: Mapped[Department | None] = relationship()


class TicketCounter(Base):
    """Last ticket number given out per local day (工单编号), so numbers never collide."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD, centre's local date
    last: Mapped[int] = mapped_column(default=0)


# The lists' own indexes (issue 14: every list under 300 ms at a million tickets): the portal's sections
# and the review queue filter by department and state and sort by deadline, the row id breaking ties.
LIST_DEPARTMENT_DUE = Index("ix_tickets_department_state_due", Ticket.department_id, Ticket.state,
                            Ticket.handle_due_at, Ticket.id)
LIST_STATE_DUE = Index("ix_tickets_state_due", Ticket.state, Ticket.handle_due_at, Ticket.id)
# the portal's "through our old number" section: tickets by the line they came in on
LIST_LINE_DUE = Index("ix_tickets_line_due", Ticket.line_id, Ticket.handle_due_at, Ticket.id)
# the ticket search's other sort keys (状态, 类别, 紧急, 分类), ties by row id: a page walks the index and
# stops, instead of sorting a million rows (0.5–1 s each on PostgreSQL before these)
LIST_BY_STATE = Index("ix_tickets_list_state", Ticket.state, Ticket.id)
LIST_BY_CATEGORY = Index("ix_tickets_list_category", Ticket.category, Ticket.id)
LIST_BY_URGENCY = Index("ix_tickets_list_urgency", Ticket.urgency, Ticket.id)
LIST_BY_TOPIC = Index("ix_tickets_list_topic", Ticket.topic, Ticket.id)
