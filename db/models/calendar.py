"""Working-day calendar overrides (节假日调整) an admin edits.

chinese-calendar knows the State Council's holidays and make-up workdays (调休)
up to the year it was released for; a row here overrides it for one day, and
a year with any row here counts as known (the admin entered its schedule).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.session import utcnow


class CalendarDay(Base):
    """One day whose working status is set by hand."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    workday: Mapped[bool] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(128))  # "春节", "春节调休上班"
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {'work' if self.workday else 'off'}>"
