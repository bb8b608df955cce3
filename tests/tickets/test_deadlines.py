"""Working-day deadlines on the Chinese calendar: the 2026 Spring Festival, make-up Saturdays, unknown years.

2026 Spring Festival (chinese-calendar 1.11): holiday Sun 15 Feb – Mon 23 Feb;
make-up workdays Sat 14 Feb and Sat 28 Feb. Times below are Beijing time
unless they end in _utc; the policy stores UTC.
"""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from db.models import CalendarDay, CentreSetting
from hotline.calendar import END_OF_DAY, WorkCalendar
from tickets.deadlines import DEFAULT_SPANS, DeadlinePolicy, Span, load_policy, save_span
from tickets.errors import InvalidInput

BJ = dt.timedelta(hours=8)


def local(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm)


def due(policy: DeadlinePolicy, urgency: str, kind: str, start_local: dt.datetime) -> tuple[dt.datetime, bool]:
    """Policy works in UTC: convert in and out so the expectations read as Beijing time."""
    result = getattr(policy, f"{kind}_due")(urgency, start_local - BJ)
    return result.at + BJ, result.estimated


def test_calendar_knows_the_spring_festival_and_its_make_up_saturdays():
    calendar = WorkCalendar()
    assert calendar.is_workday(dt.date(2026, 2, 14)) == (True, False)    # Sat, 调休上班
    assert calendar.is_workday(dt.date(2026, 2, 17)) == (False, False)   # 春节 (Tue)
    assert calendar.is_workday(dt.date(2026, 2, 23)) == (False, False)   # Mon, still holiday
    assert calendar.is_workday(dt.date(2026, 2, 28)) == (True, False)    # Sat, 调休上班
    assert calendar.is_workday(dt.date(2026, 3, 7)) == (False, False)    # an ordinary Saturday


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY)


def test_one_working_day_to_accept_from_friday_lands_on_the_make_up_saturday():
    policy = DeadlinePolicy()
    assert due(policy, "normal", "accept", local(2026, 2, 13)) == (end_of(dt.date(2026, 2, 14)), False)


def test_five_working_days_to_handle_jump_the_whole_holiday():
    policy = DeadlinePolicy()
    # Fri 13 → Sat 14 (make-up), Tue 24, Wed 25, Thu 26, Fri 27: due at the end of Fri 27
    assert due(policy, "normal", "handle", local(2026, 2, 13)) == (end_of(dt.date(2026, 2, 27)), False)
    # Thu 12 → Fri 13, Sat 14, Tue 24, Wed 25, Thu 26, whatever the hour it started
    assert due(policy, "normal", "handle", local(2026, 2, 12, 16, 30)) == (end_of(dt.date(2026, 2, 26)), False)
    # urgent: 3 working days from Fri 13 15:00 → Sat 14, Tue 24, Wed 25
    assert due(policy, "urgent", "handle", local(2026, 2, 13, 15)) == (end_of(dt.date(2026, 2, 25)), False)


def test_a_friday_start_and_a_rest_day_start_follow_one_convention():
    """The end of the Nth working day after the start day, however the day started (docs/domain.md §3)."""
    policy = DeadlinePolicy()
    friday_morning = due(policy, "normal", "handle", local(2026, 11, 20, 10))   # Fri 20 Nov 2026
    saturday_night = due(policy, "normal", "handle", local(2026, 11, 21, 23))  # the rest day after
    assert friday_morning == (end_of(dt.date(2026, 11, 27)), False)           # Mon 23 … Fri 27
    assert saturday_night == (end_of(dt.date(2026, 11, 27)), False)


def test_second_make_up_saturday_counts_too():
    policy = DeadlinePolicy()
    assert due(policy, "normal", "accept", local(2026, 2, 27, 9)) == (end_of(dt.date(2026, 2, 28)), False)
    # Sat 28 (make-up) itself is a workday start: 1 working day later is Mon 2 March
    assert due(policy, "normal", "accept", local(2026, 2, 28, 9)) == (end_of(dt.date(2026, 3, 2)), False)


def test_a_ticket_dispatched_during_the_holiday_counts_from_the_first_workday():
    policy = DeadlinePolicy()
    assert due(policy, "normal", "accept", local(2026, 2, 17, 9)) == (end_of(dt.date(2026, 2, 24)), False)
    assert due(policy, "normal", "handle", local(2026, 2, 21, 20)) == (end_of(dt.date(2026, 2, 28)), False)


def test_critical_and_urgent_limits_run_around_the_clock_even_on_new_years_eve():
    policy = DeadlinePolicy()
    eve = local(2026, 2, 16, 23, 50)
    assert due(policy, "critical", "accept", eve) == (local(2026, 2, 17, 0, 5), False)
    assert due(policy, "critical", "handle", eve) == (local(2026, 2, 17, 23, 50), False)
    assert due(policy, "urgent", "accept", eve) == (local(2026, 2, 17, 0, 20), False)


def test_deadlines_are_stored_in_utc():
    policy = DeadlinePolicy()
    # 10:00 Beijing = 02:00 UTC on Fri 13: due at 24:00 Beijing on Sat 14 = 15:59:59 UTC
    assert policy.accept_due("normal", dt.datetime(2026, 2, 13, 2, 0)).at == dt.datetime(2026, 2, 14, 15, 59, 59)
    # 07:00 Beijing on Mon 2 March is 23:00 UTC on Sunday: the local day decides (due end of Tue 3)
    assert policy.accept_due("normal", dt.datetime(2026, 3, 1, 23, 0)).at == dt.datetime(2026, 3, 3, 15, 59, 59)


def test_extension_moves_the_deadline_by_working_days():
    policy = DeadlinePolicy()
    handle = policy.handle_due("normal", local(2026, 2, 13) - BJ).at
    # end of Fri 27 Feb → Sat 28 (make-up workday), Mon 2, Tue 3 March
    assert policy.extend(handle, 3).at + BJ == end_of(dt.date(2026, 3, 3))


def test_unknown_year_falls_back_to_monday_to_friday_flags_and_warns(caplog):
    policy = DeadlinePolicy()
    with caplog.at_level(logging.WARNING, logger="tickets.deadlines"):
        # Wed 30 Dec 2026 → Thu 31, then 2027 unknown: Fri 1 Jan (!), Mon 4, Tue 5, Wed 6
        assert due(policy, "normal", "handle", local(2026, 12, 30)) == (end_of(dt.date(2027, 1, 6)), True)
    assert "does not know" in caplog.text and "estimated" in caplog.text
    # inside the known year nothing is flagged
    assert due(policy, "normal", "handle", local(2026, 12, 1)) == (end_of(dt.date(2026, 12, 8)), False)


def test_overrides_beat_the_package_but_one_day_does_not_make_a_year_known():
    overrides = {dt.date(2027, 1, 1): False, dt.date(2026, 12, 31): False}
    calendar = WorkCalendar(overrides)
    policy = DeadlinePolicy(calendar)
    # 31 Dec and 1 Jan off by hand; Mon 4 … Fri 8 Jan 2027 are still Mon–Fri guesses: flagged
    assert due(policy, "normal", "handle", local(2026, 12, 30)) == (end_of(dt.date(2027, 1, 8)), True)
    assert calendar.is_workday(dt.date(2027, 1, 1)) == (False, False)        # the entered day is known
    assert calendar.is_workday(dt.date(2027, 1, 4)) == (True, True)          # the others are estimated
    assert not calendar.knows_year(2027)


def test_span_parsing_refuses_nonsense():
    assert Span.parse("15m") == Span(15, "m") and str(Span.parse(" 5wd ")) == "5wd"
    for bad in ("", "5", "0wd", "5 days", "-1h", "1.5wd"):
        with pytest.raises(ValueError):
            Span.parse(bad)


def test_policy_reads_overrides_and_settings_from_the_database(session):
    session.add(CalendarDay(day=dt.date(2026, 3, 3), workday=False, note="本地节日"))
    session.add(CentreSetting(key="tickets.deadline.normal.handle", value="7wd"))
    session.add(CentreSetting(key="tickets.deadline.urgent.accept", value="garbage"))
    session.flush()
    policy = load_policy(session)
    assert policy.span("normal", "handle") == Span(7, "wd")
    assert policy.span("urgent", "accept") == DEFAULT_SPANS["urgent.accept"]  # a bad row is ignored
    # Mon 2 March + 1 working day skips the local holiday on Tue 3
    assert due(policy, "normal", "accept", local(2026, 3, 2)) == (end_of(dt.date(2026, 3, 4)), False)


def test_admin_saves_a_time_limit_and_bad_values_are_refused(session):
    assert save_span(session, "critical.accept", "10m", by="admin") == Span(10, "m")
    session.flush()
    assert load_policy(session).span("critical", "accept") == Span(10, "m")
    with pytest.raises(InvalidInput) as refused:
        save_span(session, "critical.accept", "soon", by="admin")
    assert "critical.accept" in refused.value.fields
    with pytest.raises(InvalidInput):
        save_span(session, "nonsense.accept", "1wd", by="admin")
