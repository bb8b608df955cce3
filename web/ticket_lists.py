"""The columns of a ticket list (工单列表), shared by the centre's search and queues and the department portal.

Sort keys are the ticket's own columns (indexed where a list sorts by them);
times are written in centre time, as on the pages.
"""
from __future__ import annotations

from db.models import Ticket
from tickets.labels import label
from web.listing import Column
from web.ticket_views import local_time


def _due(t: Ticket):
    return t.accept_due_at if t.state.value == "dispatched" else t.handle_due_at


def _flags(t: Ticket) -> str:
    return " ".join(name for name, on in (("督办", t.supervised), ("逾期", t.overdue),
                                           ("签收超时", t.accept_overdue), ("保密", t.confidential)) if on)


COLUMNS = [
    Column("number", "工单号", lambda t: t.number, Ticket.number),
    Column("state", "状态", lambda t: label(t.state), Ticket.state),
    Column("category", "类别", lambda t: label(t.category), Ticket.category),
    Column("urgency", "紧急", lambda t: label(t.urgency), Ticket.urgency),
    Column("topic", "分类", lambda t: t.topic or "", Ticket.topic),
    Column("department", "主办", lambda t: t.department.name if t.department else ""),
    Column("district", "区县", lambda t: t.district.name if t.district else ""),
    Column("created", "受理时间", lambda t: local_time(t.created_at), Ticket.created_at),
    Column("due", "办结时限", lambda t: local_time(_due(t)), Ticket.handle_due_at),
    Column("flags", "", _flags),
    Column("description", "内容", lambda t: t.description[:200]),
]
DEFAULT_SORT = "created"
