"""The working-day calendar (工作日): chinese-calendar, the admin's overrides, and a clear fallback.

Make-up workdays (调休, a Saturday or Sunday worked) count as workdays; public
holidays do not. chinese-calendar only knows the years it was released for;
for a later year we fall back to Monday–Friday for every day the admin did not
enter, and say so (``estimated``), because a deadline is still needed on 2 January.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import chinese_calendar

END_OF_DAY = dt.time(23, 59, 59)


class WorkCalendar:
    def __init__(self, overrides: Mapping[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(workday?, estimated?) — estimated means the Monday–Friday fallback decided.

        An override decides its own day only: one day entered for a year the
        package does not know leaves every other day of that year estimated.
        """
        if day in self.overrides:
            return self.overrides[day], False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            return day.weekday() < 5, True

    def knows_year(self, year: int) -> bool:
        """Whether chinese-calendar has this year's holidays (else days without an override are estimated)."""
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
            return True
        except NotImplementedError:
            return False

    def add_working_days(self, start: dt.datetime, days: int) -> tuple[dt.datetime, bool]:
        """The end of the ``days``-th working day after ``start``'s day (local time); (deadline, estimated).

        One convention whatever the hour or the kind of day it starts on
        (docs/domain.md §3): a limit of N working days ends at 24:00 of the
        Nth working day after the day it starts. Zero days is ``start`` itself.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        if days == 0:
            return start, False
        day, counted, estimated = start.date(), 0, False
        while counted < days:
            day += dt.timedelta(days=1)
            workday, guessed = self.is_workday(day)
            estimated = estimated or guessed
            counted += workday
        return dt.datetime.combine(day, END_OF_DAY), estimated
