"""The working-day calendar (工作日): chinese-calendar, the admin's overrides, and a clear fallback.

Make-up workdays (调休, a Saturday or Sunday worked) count as workdays; public
holidays do not. chinese-calendar only knows the years it was released for;
for a later year without overrides we fall back to Monday–Friday and say so
(``estimated``), because a deadline is still needed on 2 January.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import chinese_calendar

END_OF_DAY = dt.time(23, 59, 59)


class WorkCalendar:
    def __init__(self, overrides: Mapping[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})
        # a year the admin entered days for counts as known for every day of it
        self.override_years = {day.year for day in self.overrides}

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(workday?, estimated?) — estimated means the Monday–Friday fallback decided."""
        if day in self.overrides:
            return self.overrides[day], False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            return day.weekday() < 5, day.year not in self.override_years

    def knows_year(self, year: int) -> bool:
        if year in self.override_years:
            return True
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
            return True
        except NotImplementedError:
            return False

    def add_working_days(self, start: dt.datetime, days: int) -> tuple[dt.datetime, bool]:
        """``days`` working days after ``start`` (local time); returns (deadline, estimated).

        Started on a workday: the same time of day on the ``days``-th following
        workday. Started on a rest day: counting begins with the next workday,
        and the deadline is the end of the ``days``-th workday.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        started_on_workday, estimated = self.is_workday(start.date())
        day, counted = start.date(), 0
        while counted < days:
            day += dt.timedelta(days=1)
            workday, guessed = self.is_workday(day)
            estimated = estimated or guessed
            counted += workday
        if days == 0:
            return start, estimated
        if started_on_workday:
            return dt.datetime.combine(day, start.time()), estimated
        return dt.datetime.combine(day, END_OF_DAY), estimated
