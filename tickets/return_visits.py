"""Return visits (回访, 一事一评) on the ticket's side: the request made when the centre approves a
reply (``approve_reply``). What the call says first is ``callbacks.visit_summary``; the questions and the answer
are ``tickets.visit_answers``; the call itself is the one outbound dialer's
(``callbacks.dialer``, purpose ``return_visit``). Rules:

* a confidential ticket (保密) or a citizen who asked not to be called (不接受回访) is never
  dialed: its request is ``not_called`` and waits for a human at once;
* resolved (1) and satisfied (1) or basically satisfied (2) → 回访 with the rating, then 办结;
* not resolved (2) or not satisfied (3) → 回访 with the rating, then 重启 to the department
  that handled it, and the centre's reviewers are told;
* no usable key → nothing is written on the ticket (no answer is never "satisfied"): the
  request waits for a human, like one never answered after 3 attempts.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db.models import FOR_A_HUMAN, ReturnVisit, ReturnVisitStatus, Ticket, TicketState, not_callable_because
from db.session import utcnow
from hotline.caller_id import is_withheld


def request_for(session: Session, ticket: Ticket, now: dt.datetime | None = None) -> ReturnVisit:
    """The return-visit request of the ticket's current round (made when its reply is approved)."""
    now = now or utcnow()
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id,
                                                     ReturnVisit.round == ticket.reopen_count))
    if visit is not None:
        return visit
    visit = ReturnVisit(ticket_id=ticket.id, round=ticket.reopen_count, phone=ticket.caller_phone, created_at=now,
                        attempt_count=0)
    why_not = not_callable_because(ticket)
    if why_not:
        visit.status, visit.note = ReturnVisitStatus.not_called, why_not
    elif not ticket.caller_phone or is_withheld(ticket.caller_phone):
        visit.status, visit.note = ReturnVisitStatus.undialable, "无来电号码 (no number to call)"
    else:
        visit.status, visit.next_attempt_at = ReturnVisitStatus.pending, now
    session.add(visit)
    return visit


STUCK_AFTER = dt.timedelta(minutes=10)   # answered this long ago and still no answer recorded (Python was down)


def for_a_human_query(now: dt.datetime | None = None):
    """The return-visit list for a human (人工回访): tickets still waiting for their visit whose
    phone visit cannot happen (confidential, 不接受回访, no number), was never answered in 3
    attempts, or was answered without an answer keyed."""
    now = now or utcnow()
    return (select(ReturnVisit).join(Ticket, ReturnVisit.ticket_id == Ticket.id)
            .where(Ticket.state == TicketState.awaiting_visit, ReturnVisit.round == Ticket.reopen_count,
                   or_(ReturnVisit.status.in_(FOR_A_HUMAN),
                       and_(ReturnVisit.status == ReturnVisitStatus.reached,
                            ReturnVisit.reached_at < now - STUCK_AFTER)))
            .order_by(ReturnVisit.created_at, ReturnVisit.id))
