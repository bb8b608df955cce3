"""Self-service queries (自助查询记录): which tickets a caller asked about by phone (工单查询).

One row per ticket read out (or refused) on a call, so the call record says what
was queried; ``granted`` False means the ticket was found but stayed closed to the
caller (confidential, no matching query code).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.session import utcnow


class TicketQuery(Base):
    """工单查询: one ticket asked about on one call."""

    __tablename__ = "ticket_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    ticket_number: Mapped[str] = mapped_column(String(32))
    found_by: Mapped[str] = mapped_column(String(16))     # "caller_id" | "keyed"
    granted: Mapped[bool] = mapped_column(default=True)
    # wrong query codes keyed for this ticket on this call (the per-number daily limit counts them)
    wrong_codes: Mapped[int] = mapped_column(default=0, server_default="0")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<TicketQuery call {self.call_id} {self.ticket_number} {self.found_by}>"
