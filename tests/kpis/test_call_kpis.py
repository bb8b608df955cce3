"""Call KPIs against small hand-computed days; queue 12345 has a 15 s service level and 15 s wrap-up (seed)."""
from __future__ import annotations

import datetime as dt

import pytest

from db.models import CallOutcome
from kpis.errors import InvalidInput
from kpis.period import Period
from kpis.report import kpi_table
from kpis.settings import KpiSettings, load_settings, save_setting
from tests.kpis.helpers import fraction

DAY = dt.date(2026, 3, 2)  # a Monday


def calls(session, first=DAY, last=None, by=(), filters=None, **kw):
    table = kpi_table(session, Period(first, last or first), by, filters, families=("calls",), **kw)
    return table.calls


def test_zero_calls_give_empty_rates_not_zero_percent(session):
    [row] = calls(session)
    f = row["figures"]
    assert f["offered"]["value"] == 0 and f["received"]["value"] == 0
    for name in ("answer_rate", "sl_rate", "abandon_rate", "average_wait", "average_handling_time"):
        assert f[name]["value"] is None and f[name]["denominator"] == 0, name
    assert f["longest_wait"]["value"] is None
    hours = calls(session, by=("hour",))
    assert [r["key"]["hour"] for r in hours] == list(range(24))
    assert all(r["figures"]["answer_rate"]["value"] is None for r in hours)


def test_all_abandoned(session, add_call):
    add_call("2026-03-02 09:10", wait=20)
    add_call("2026-03-02 09:20", wait=40)
    [row] = calls(session)
    f = row["figures"]
    assert f["offered"]["value"] == 2 and f["answered"]["value"] == 0
    assert fraction(f["answer_rate"]) == (0, 2) and f["answer_rate"]["value"] == 0.0
    assert fraction(f["abandon_rate"]) == (2, 2) and f["abandon_rate"]["value"] == 1.0
    assert f["short_abandoned"]["value"] == 0
    assert f["sl_rate"]["value"] is None                 # nothing answered: no 15-second rate
    assert f["average_wait"]["value"] == 30.0 and f["longest_wait"]["value"] == 40.0
    assert f["average_handling_time"]["value"] is None


def test_only_short_abandons_leave_nothing_offered_to_an_agent(session, add_call):
    add_call("2026-03-02 09:10", wait=2)
    add_call("2026-03-02 09:11", wait=4.9)
    [row] = calls(session)
    f = row["figures"]
    assert f["offered"]["value"] == 2 and f["short_abandoned"]["value"] == 2
    assert fraction(f["short_abandon_rate"]) == (2, 2)
    assert fraction(f["answer_rate"]) == (0, 0) and f["answer_rate"]["value"] is None
    assert f["abandon_rate"]["value"] is None


def test_the_short_abandon_threshold_is_a_setting(session, add_call):
    add_call("2026-03-02 09:10", wait=2)
    add_call("2026-03-02 09:11", wait=8)
    assert calls(session)[0]["figures"]["short_abandoned"]["value"] == 1      # default 5 s
    save_setting(session, "kpis.short_abandon_seconds", "10", by="admin")
    assert load_settings(session) == KpiSettings(short_abandon_seconds=10, repeat_days=30)
    assert calls(session)[0]["figures"]["short_abandoned"]["value"] == 2
    save_setting(session, "kpis.short_abandon_seconds", "0", by="admin")      # 0: no call is a short abandon
    f = calls(session)[0]["figures"]
    assert f["short_abandoned"]["value"] == 0 and fraction(f["abandon_rate"]) == (2, 2)
    with pytest.raises(InvalidInput) as refused:
        save_setting(session, "kpis.short_abandon_seconds", "soon", by="admin")
    assert "not a whole number" in refused.value.fields["kpis.short_abandon_seconds"]


def test_a_mixed_day_by_hand(session, add_call):
    add_call("2026-03-02 10:00", wait=10, talk=100)                 # answered within 15 s
    add_call("2026-03-02 10:05", wait=20, talk=200, agent="1002")   # answered late
    add_call("2026-03-02 10:10", wait=30)                           # abandoned
    add_call("2026-03-02 10:20", wait=1)                            # short abandon
    add_call(None, arrived="2026-03-02 10:30", wait=None, outcome=CallOutcome.emergency)  # never queued
    add_call("2026-03-02 10:40", wait=5, ended=False)               # still waiting: live, not history
    add_call("2026-03-03 10:00", wait=10, talk=60)                  # the next day
    [row] = calls(session)
    f = row["figures"]
    assert f["received"]["value"] == 5 and f["offered"]["value"] == 4 and f["answered"]["value"] == 2
    assert fraction(f["answer_rate"]) == (2, 3) and f["answer_rate"]["value"] == 0.6667
    assert fraction(f["sl_rate"]) == (1, 2) and fraction(f["sl_rate_offered"]) == (1, 3)
    assert fraction(f["abandon_rate"]) == (1, 3) and fraction(f["short_abandon_rate"]) == (1, 4)
    assert fraction(f["average_speed_of_answer"]) == (30.0, 2) and f["average_speed_of_answer"]["value"] == 15.0
    assert fraction(f["average_wait"]) == (61.0, 4) and f["average_wait"]["value"] == 15.2  # 15.25 → 1 decimal
    assert f["longest_wait"]["value"] == 30.0
    # talk 100 + 200, plus the queue's 15 s wrap-up after each answered call
    assert fraction(f["average_handling_time"]) == (330.0, 2) and f["average_handling_time"]["value"] == 165.0
    assert f["answer_rate"]["formula"]["zh"] == "人工接通率" and f["answer_rate"]["formula"]["target"] == 0.95
    by_agent = {r["key"]["agent"]: r for r in calls(session, by=("agent",))}
    assert set(by_agent) == {"1001", "1002", None}   # None: the calls no agent took
    assert by_agent["1002"]["label"]["agent"] == "王芳"
    assert fraction(by_agent["1001"]["figures"]["sl_rate"]) == (1, 1)
    assert by_agent[None]["figures"]["offered"]["value"] == 2


def test_centre_days_and_hours_not_utc_ones(session, add_call):
    add_call("2026-03-02 23:30", wait=10, talk=60)   # 15:30 UTC on the 2nd
    add_call("2026-03-03 00:30", wait=10, talk=60)   # 16:30 UTC on the 2nd: the 3rd in Jinan
    add_call("2026-03-03 07:59", wait=10, talk=60)   # 23:59 UTC on the 2nd
    by_day = calls(session, DAY, dt.date(2026, 3, 3), by=("day",))
    assert [(r["key"]["day"], r["figures"]["offered"]["value"]) for r in by_day] == [
        ("2026-03-02", 1), ("2026-03-03", 2)]
    hours = {r["key"]["hour"]: r["figures"]["offered"]["value"] for r in
             calls(session, DAY, dt.date(2026, 3, 3), by=("hour",))}
    assert (hours[23], hours[0], hours[7], hours[15]) == (1, 1, 1, 0)
    heat = calls(session, DAY, dt.date(2026, 3, 3), by=("weekday", "hour"))
    assert len(heat) == 7 * 24
    cell = {(r["key"]["weekday"], r["key"]["hour"]): r["figures"]["offered"]["value"] for r in heat}
    assert cell[(1, 23)] == 1 and cell[(2, 0)] == 1 and cell[(2, 7)] == 1   # Monday = 1, Tuesday = 2
    assert sum(cell.values()) == 3


def test_slices_by_queue_line_and_department_and_filters(session, add_call):
    add_call("2026-03-02 10:00", wait=10, talk=100, line="12345")
    add_call("2026-03-02 10:01", wait=30, talk=100, line="12315", queue="12345")  # dual line of scjgj
    add_call("2026-03-02 10:02", wait=40, line="12315", queue="overflow")
    by_line = {r["key"]["line"]: r["figures"] for r in calls(session, by=("line",))}
    assert by_line["12315"]["offered"]["value"] == 2 and fraction(by_line["12315"]["answer_rate"]) == (1, 2)
    by_department = {r["key"]["department"]: r for r in calls(session, by=("department",))}
    assert by_department["scjgj"]["figures"]["offered"]["value"] == 2
    by_queue = {r["key"]["queue"]: r for r in calls(session, by=("queue", "hour"))
                if r["figures"]["offered"]["value"]}
    assert set(by_queue) == {"12345", "overflow"} and by_queue["12345"]["key"]["hour"] == 10
    assert by_queue["12345"]["label"]["queue"] == "12345 普通话"
    [only] = calls(session, filters={"line": "12315"})   # the old department sees its own line's calls
    assert only["figures"]["offered"]["value"] == 2


@pytest.mark.parametrize("by, field", [(("topic",), None), (("colour",), "by"), (("hour", "hour"), "by")])
def test_bad_slices_are_refused_with_the_reason(session, by, field):
    if field is None:
        table = kpi_table(session, Period(DAY, DAY), by, families=("calls",))
        assert table.calls is None and "calls have no topic" in table.notes[0]
        return
    with pytest.raises(InvalidInput) as refused:
        from kpis.dimensions import parse_by
        parse_by(",".join(by))
    assert field in refused.value.fields


def test_period_parsing_says_what_is_wrong():
    today = dt.date(2026, 3, 2)
    assert Period.parse(None, None, "Asia/Shanghai", today) == Period(today, today)
    assert Period.parse("2026-03-01", None, "Asia/Shanghai", today).last == today
    for first, last, field in (("yesterday", None, "from"), ("2026-03-05", "2026-03-01", "to"),
                               ("2020-01-01", "2026-01-01", "to")):
        with pytest.raises(InvalidInput) as refused:
            Period.parse(first, last, "Asia/Shanghai", today)
        assert field in refused.value.fields
    start, end = Period(today, today).utc_bounds()
    assert (start, end) == (dt.datetime(2026, 3, 1, 16), dt.datetime(2026, 3, 2, 16))


def test_ratings_per_agent_and_per_line(session, add_call):
    """一次一评: rated 1-2 counts as satisfied; an unrated answered call is no rating, never satisfied."""
    add_call("2026-03-02 10:00", wait=5, talk=60).rating = 1
    add_call("2026-03-02 10:01", wait=5, talk=60).rating = 4
    add_call("2026-03-02 10:02", wait=5, talk=60)                              # hung up without a key
    add_call("2026-03-02 10:03", wait=5, talk=60, agent="1002", line="12315").rating = 2
    session.flush()
    [row] = calls(session)
    f = row["figures"]
    assert f["rated"]["value"] == 3 and fraction(f["rating_rate"]) == (3, 4)
    assert fraction(f["call_satisfaction_rate"]) == (2, 3)
    by_agent = {r["key"]["agent"]: r["figures"] for r in calls(session, by=("agent",))}
    assert fraction(by_agent["1001"]["call_satisfaction_rate"]) == (1, 2)
    assert fraction(by_agent["1002"]["call_satisfaction_rate"]) == (1, 1)
    by_line = {r["key"]["line"]: r["figures"] for r in calls(session, by=("line",))}
    assert fraction(by_line["12315"]["rating_rate"]) == (1, 1)
