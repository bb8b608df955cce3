"""The admin's working-day overrides (节假日调整) as the calendar reads them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CalendarDay
from hotline.calendar import WorkCalendar


def overrides(session: Session) -> dict[dt.date, bool]:
    return dict(session.execute(select(CalendarDay.day, CalendarDay.workday)).all())


def work_calendar(session: Session) -> WorkCalendar:
    """chinese-calendar with the admin's overrides: one calendar for deadlines and business hours."""
    return WorkCalendar(overrides(session))
