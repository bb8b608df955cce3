from __future__ import annotations

import datetime as dt

import pytest

from agi.business_hours import BadHours, is_open, parse

SPEC = "mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00"


@pytest.mark.parametrize("when, expected", [
    ("2026-11-23 08:29", False),   # Monday, before opening
    ("2026-11-23 08:30", True),
    ("2026-11-23 12:00", False),   # lunch break (end is exclusive)
    ("2026-11-23 13:30", True),
    ("2026-11-28 11:59", True),    # Saturday morning
    ("2026-11-28 13:00", False),
    ("2026-11-29 10:00", False),   # Sunday
])
def test_weekly_hours(when, expected):
    assert is_open(SPEC, dt.datetime.fromisoformat(when)) is expected


def test_no_spec_is_always_open():
    assert is_open(None, dt.datetime(2026, 2, 17, 3, 0)) and is_open("  ", dt.datetime(2026, 2, 17, 3, 0))


def test_workdays_follow_the_chinese_calendar():
    spec = "workdays 09:00-17:00"
    assert not is_open(spec, dt.datetime(2026, 2, 17, 10, 0))   # Spring Festival holiday, a Tuesday
    assert is_open(spec, dt.datetime(2026, 2, 14, 10, 0))       # make-up working Saturday
    assert is_open(spec, dt.datetime(2026, 11, 23, 10, 0))      # ordinary Monday
    assert not is_open(spec, dt.datetime(2026, 11, 22, 10, 0))  # ordinary Sunday


def test_unknown_year_falls_back_to_monday_to_friday(caplog):
    assert is_open("workdays 09:00-17:00", dt.datetime(2031, 1, 6, 10, 0))     # a Monday
    assert not is_open("workdays 09:00-17:00", dt.datetime(2031, 1, 5, 10, 0))  # a Sunday
    assert "does not know 2031" in caplog.text


def test_daily_and_midnight():
    assert is_open("daily 00:00-24:00", dt.datetime(2026, 1, 1, 23, 59, 59))
    assert is_open("fri-mon 20:00-24:00", dt.datetime(2026, 11, 22, 21, 0))  # wraps over the weekend


@pytest.mark.parametrize("spec, fragment", [
    ("mon-fri", "expected '<days> HH:MM"),
    ("monday 08:00-09:00", "'monday' is not a day"),
    ("mon 8am-9am", "is not a time"),
    ("mon 08:00", "is not a time range"),
])
def test_bad_specs_say_what_is_wrong(spec, fragment):
    with pytest.raises(BadHours, match=fragment):
        parse(spec)


def test_the_admins_calendar_overrides_decide_workdays_as_for_ticket_deadlines():
    """One working-day rule: a day the admin declared off closes a 'workdays' sub-centre too."""
    from hotline.calendar import WorkCalendar

    spec = "workdays 09:00-17:00"
    monday, saturday = dt.datetime(2026, 11, 23, 10, 0), dt.datetime(2026, 11, 28, 10, 0)
    calendar = WorkCalendar({monday.date(): False, saturday.date(): True})
    assert is_open(spec, monday) and not is_open(spec, monday, calendar)
    assert not is_open(spec, saturday) and is_open(spec, saturday, calendar)
