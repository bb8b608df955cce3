"""Ticket numbers (工单编号): ``GD`` + the centre's local date + a 6-digit daily sequence.

The counter row is bumped with an UPDATE, which takes the row's write lock on
PostgreSQL and the database write lock on SQLite, so two agents saving at the
same moment never get the same number.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import TicketCounter

PREFIX = "GD"


def next_number(session: Session, local_day: dt.date) -> str:
    day = local_day.strftime("%Y%m%d")
    for _ in range(3):
        last = session.scalar(update(TicketCounter).where(TicketCounter.day == day)
                              .values(last=TicketCounter.last + 1).returning(TicketCounter.last))
        if last is not None:
            return f"{PREFIX}{day}{last:06d}"
        try:
            with session.begin_nested():  # first ticket of the day; another writer may race us
                session.add(TicketCounter(day=day, last=1))
            return f"{PREFIX}{day}{1:06d}"
        except IntegrityError:
            continue
    raise RuntimeError(f"could not number a ticket for {day}")  # pragma: no cover - needs 3 lost races
