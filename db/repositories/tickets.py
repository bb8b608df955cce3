"""Tickets (工单): lookups, the row lock for transitions, and who sees which tickets."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    AssignmentRole,
    Call,
    Line,
    LineMode,
    Ticket,
    TicketAssignment,
    TicketEvent,
    TicketState,
    ticket_calls,
)
from db.models.tickets import OPEN_STATES
from hotline.caller_id import is_withheld

# lines whose calls land at 12345 agents: their owners see the tickets that came in through them
OWNED_LINE_MODES = (LineMode.merged, LineMode.dual, LineMode.self_service)


def centre_departments() -> Select:
    """Ids of the hotline centre's own department(s): the owner of the main line (12345)."""
    return select(Line.department_id).where(Line.mode == LineMode.main, Line.department_id.is_not(None))


def by_number(session: Session, number: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))


def by_token(session: Session, token: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.public_token == token))


def for_update(session: Session, number: str) -> Ticket | None:
    """The ticket with its row locked until commit (PostgreSQL; SQLite serialises writers anyway).

    ``populate_existing`` re-reads a row already in the session, so a check
    after the lock sees what the other clerk committed.
    """
    return session.scalar(select(Ticket).where(Ticket.number == number.strip().upper())
                          .with_for_update().execution_options(populate_existing=True))


def history(session: Session, ticket: Ticket) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id)))


# --- who sees what ---------------------------------------------------------------
def assigned_to(department_id: int):
    """Tickets the department handles: 主办, or an active 协办."""
    co = select(TicketAssignment.ticket_id).where(TicketAssignment.department_id == department_id,
                                                  TicketAssignment.active.is_(True),
                                                  TicketAssignment.role == AssignmentRole.co)
    return or_(Ticket.department_id == department_id, Ticket.id.in_(co))


def owned_lines(department_id: int):
    return select(Line.id).where(Line.department_id == department_id, Line.mode.in_(OWNED_LINE_MODES))


def through_old_number(department_id: int, line_ids: Sequence[int] | None = None):
    """Tickets that came in through a line the department owns (seed 000: classified by called number).

    ``line_ids`` (``owned_lines`` read first): the lines as values, so the planner sees how few tickets each
    has (a sub-select of lines looks like a share of every ticket and reads the whole table)."""
    return Ticket.line_id.in_(owned_lines(department_id) if line_ids is None else list(line_ids))


def visible_to_department(department_id: int | None):
    if department_id is None:
        return false()
    return or_(assigned_to(department_id), through_old_number(department_id))


def department_tickets(session: Session, department_id: int, *, states: Sequence[TicketState] | None = None,
                       old_number_only: bool = False, limit: int = 200) -> list[Ticket]:
    where = through_old_number(department_id) if old_number_only else assigned_to(department_id)
    query = select(Ticket).where(where)
    if states:
        query = query.where(Ticket.state.in_(states))
    return list(session.scalars(query.order_by(Ticket.handle_due_at.is_(None), Ticket.handle_due_at,
                                               Ticket.id.desc()).limit(limit)))


# --- search and queues -----------------------------------------------------------
def search(session: Session, *, states: Sequence[TicketState] | None = None, number: str | None = None,
           phone: str | None = None, department_id: int | None = None, topic_id: int | None = None,
           overdue: bool | None = None, supervised: bool | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, scope=None, limit: int = 100, offset: int = 0) -> list[Ticket]:
    return list(session.scalars(search_query(states=states, number=number, phone=phone,
                                             department_id=department_id, topic_id=topic_id, overdue=overdue,
                                             supervised=supervised, since=since, until=until, scope=scope)
                                .order_by(Ticket.id.desc()).limit(limit).offset(offset)))


def search_query(*, states=None, number=None, phone=None, department_id=None, topic_id=None, overdue=None,
                 supervised=None, since=None, until=None, scope=None) -> Select:
    query = select(Ticket)
    if scope is not None:
        query = query.where(scope)
    if states:
        query = query.where(Ticket.state.in_(states))
    if number:
        query = query.where(Ticket.number == number.strip().upper())
    if phone:
        query = query.where(Ticket.caller_phone == phone.strip())
    if department_id is not None:
        query = query.where(Ticket.department_id == department_id)
    if topic_id is not None:
        query = query.where(Ticket.topic_id == topic_id)
    if overdue is not None:
        query = query.where(or_(Ticket.overdue, Ticket.accept_overdue) if overdue
                            else ~or_(Ticket.overdue, Ticket.accept_overdue))
    if supervised is not None:
        query = query.where(Ticket.supervised.is_(supervised))
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    if until is not None:
        query = query.where(Ticket.created_at < until)
    return query


def count_by_state(session: Session, scope=None) -> dict[str, int]:
    query = select(Ticket.state, func.count()).group_by(Ticket.state)
    if scope is not None:
        query = query.where(scope)
    return {getattr(state, "value", state): n for state, n in session.execute(query)}


# --- the caller's history (screen pop) ----------------------------------------------
def calls_of_caller(session: Session, phone: str, since: dt.datetime, exclude_id: int | None = None,
                    limit: int = 20) -> list[Call]:
    if is_withheld(phone):
        return []  # a withheld number (隐藏号码) is nobody in particular: never anyone's history
    query = select(Call).where(Call.caller == phone, Call.arrived_at >= since)
    if exclude_id is not None:
        query = query.where(Call.id != exclude_id)
    return list(session.scalars(query.order_by(Call.arrived_at.desc()).limit(limit)))


def tickets_of_caller(session: Session, phone: str, since: dt.datetime, limit: int = 20) -> list[Ticket]:
    """By the phone written on the ticket or by a linked call from that number."""
    if is_withheld(phone):
        return []
    by_call = select(ticket_calls.c.ticket_id).join(Call, Call.id == ticket_calls.c.call_id).where(
        Call.caller == phone)
    return list(session.scalars(select(Ticket).where(or_(Ticket.caller_phone == phone, Ticket.id.in_(by_call)),
                                                     Ticket.created_at >= since)
                                .order_by(Ticket.created_at.desc()).limit(limit)))


def open_tickets_since(session: Session, since: dt.datetime, *, topic_id=None, district_id=None,
                       street_id=None, limit: int = 200) -> list[Ticket]:
    """Candidates for 相似工单: open, recent, sharing topic or place."""
    matches = [column == value for column, value in ((Ticket.topic_id, topic_id), (Ticket.district_id, district_id),
                                                     (Ticket.street_id, street_id)) if value is not None]
    if not matches:
        return []
    return list(session.scalars(select(Ticket).options(selectinload(Ticket.department))
                                .where(Ticket.state.in_(OPEN_STATES), Ticket.created_at >= since, or_(*matches))
                                .order_by(Ticket.created_at.desc()).limit(limit)))
