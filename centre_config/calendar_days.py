"""Holiday overrides (节假日调整): one day marked working or not, over chinese-calendar (db CalendarDay)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.fields import Fields
from centre_config.kind import Kind
from db.models import CalendarDay


class CalendarDays(Kind):
    name = "calendar_day"
    label = "calendar day"
    key_field = "day"

    def normalize_key(self, key: Any) -> str:
        return key.isoformat() if isinstance(key, dt.date) else str(key).strip()

    def get(self, session: Session, key: str) -> CalendarDay | None:
        try:
            return session.get(CalendarDay, dt.date.fromisoformat(key))
        except ValueError:
            return None

    def keys(self, session: Session) -> list[str]:
        return [d.isoformat() for d in session.scalars(select(CalendarDay.day).order_by(CalendarDay.day))]

    def dump(self, day: CalendarDay) -> dict[str, Any]:
        return {"day": day.day.isoformat(), "workday": day.workday, "note": day.note}

    def check(self, session: Session, data: dict[str, Any], existing: CalendarDay | None) -> dict[str, Any]:
        f = Fields(data)
        f.unknown({"day", "workday", "note"})
        day = f.date("day")
        if day is None and "day" not in f.errors:
            f._fail("day", "is required (YYYY-MM-DD)")
        if data.get("workday") is None:
            f._fail("workday", "is required: yes (上班) or no (休息)")
        f.boolean("workday")
        f.text("note", 128)
        if f.errors:
            raise self.invalid(str(data.get("day")), f.errors)
        return f.clean

    def write(self, session: Session, day: CalendarDay | None, clean: dict[str, Any]) -> CalendarDay:
        if day is None:
            day = CalendarDay(day=clean["day"], workday=clean["workday"])
            session.add(day)
        day.workday, day.note = clean["workday"], clean["note"]
        session.flush()
        return day

    def remove(self, session: Session, day: CalendarDay) -> None:
        session.delete(day)
        session.flush()
        return None


CALENDAR_DAYS = CalendarDays()
