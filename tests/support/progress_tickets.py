"""Tickets written straight into a test installation's database, for the phone progress query (工单查询)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.models import Department, Ticket, TicketCategory, TicketState


def add_ticket(session_factory, number: str, *, caller_phone: str | None, state: TicketState,
               department_code: str | None = None, due: dt.datetime | None = None, confidential: bool = False,
               query_code: str | None = None, replied_at: dt.datetime | None = None, age_days: float = 2) -> None:
    with session_factory() as s:
        department = s.scalar(select(Department).where(Department.code == department_code)) \
            if department_code else None
        now = dt.datetime.utcnow()
        s.add(Ticket(number=number, caller_phone=caller_phone, category=TicketCategory.help, state=state,
                     department=department, handle_due_at=due, confidential=confidential, query_code=query_code,
                     description="test", created_at=now - dt.timedelta(days=age_days), updated_at=now,
                     replied_at=replied_at))
        s.commit()


def queries_of(session_factory, uniqueid: str) -> list[tuple[str, str, bool]]:
    """(ticket number, found_by, granted) the call asked about, in order."""
    from db.models import Call, TicketQuery

    with session_factory() as s:
        call = s.scalar(select(Call).where(Call.uniqueid == uniqueid))
        return [(q.ticket_number, q.found_by, q.granted)
                for q in s.scalars(select(TicketQuery).where(TicketQuery.call_id == call.id).order_by(TicketQuery.id))]
