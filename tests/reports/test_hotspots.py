"""Hotspots against hand-computed cases: top topics and places, spikes against the same weekday, repeat callers."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from kpis.period import Period
from reports import hotspots
from reports.spikes import poisson_tail, score

TZ = "Asia/Shanghai"
MONDAY = dt.date(2026, 3, 30)


def day(d: dt.date) -> Period:
    return Period(d, d, TZ)


def test_the_poisson_tail_by_hand():
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    # P(X ≥ 3 | 2) = 1 − e^-2 (1 + 2 + 2) = 1 − 5e^-2
    assert poisson_tail(3, 2.0) == pytest.approx(1 - 5 * math.exp(-2))


def test_a_spike_scored_by_hand():
    s = score("x", "X", 10, [2, 3, 1, 2])  # mean 2: z = (10 − 2)/√2
    assert s.mean == 2 and s.z == pytest.approx(8 / math.sqrt(2))
    assert s.p == pytest.approx(poisson_tail(10, 2.0)) and s.p < 1e-4 and s.is_spike
    usual = score("x", "X", 3, [3, 2, 4, 3])
    assert not usual.is_spike and usual.p > 0.3
    new = score("y", "Y", 2, [0, 0, 0, 0])  # an empty baseline is floored at λ = 0.5
    assert new.z == pytest.approx((2 - 0.5) / math.sqrt(0.5)) and not new.is_spike  # under min_count 3


def test_top_topics_and_places_over_a_window(session, add_tickets):
    add_tickets(3, "2026-03-30 09:00", topic="market-food", district="lixia")
    add_tickets(2, "2026-03-31 23:30", topic="utilities-water", district="shizhong")  # still the 31st in Beijing
    add_tickets(4, "2026-04-01 00:10", topic="utilities-water", district="shizhong")  # outside: April 1st
    window = Period(MONDAY, MONDAY + dt.timedelta(days=1), TZ)
    top = [(c.key, c.count) for c in hotspots.top(session, window, "topic")]
    assert top == [("market-food", 3), ("utilities-water", 2)]
    places = {c.key: c.count for c in hotspots.district_density(session, window)}
    assert places == {"lixia": 3, "shizhong": 2}


def test_today_against_the_same_weekday_of_the_last_four_weeks(session, add_tickets):
    # market-food: the four Mondays before had 1, 2, 1, 0 → mean 1; today 9 → a spike
    for weeks, n in ((1, 1), (2, 2), (3, 1)):
        add_tickets(n, f"{MONDAY - dt.timedelta(weeks=weeks)} 10:00", topic="market-food")
    add_tickets(9, f"{MONDAY} 10:00", topic="market-food")
    # utilities-water: busy every Monday (5, 5, 6, 4 → mean 5), today 6: usual. Busy on Sundays: not counted.
    for weeks, n in ((1, 5), (2, 5), (3, 6), (4, 4)):
        add_tickets(n, f"{MONDAY - dt.timedelta(weeks=weeks)} 11:00", topic="utilities-water")
    add_tickets(30, f"{MONDAY - dt.timedelta(days=1)} 11:00", topic="utilities-water")
    add_tickets(6, f"{MONDAY} 11:00", topic="utilities-water")
    found = {s.key: s for s in hotspots.spikes(session, MONDAY, TZ, "topic")}
    food, water = found["market-food"], found["utilities-water"]
    assert food.baseline == (1, 2, 1, 0) and food.mean == 1 and food.today == 9
    assert food.z == pytest.approx(8.0) and food.p == pytest.approx(poisson_tail(9, 1.0)) and food.is_spike
    assert water.baseline == (5, 5, 6, 4) and water.today == 6 and not water.is_spike
    assert water.p == pytest.approx(poisson_tail(6, 5.0))
    assert [s.key for s in hotspots.spikes(session, MONDAY, TZ)][:1] == ["market-food"]  # most unusual first


def test_repeat_callers_never_match_withheld_numbers(session, add_call):
    for at in ("2026-03-30 08:00", "2026-03-30 12:00", "2026-03-30 20:00"):
        add_call("13912345678", at)
    for who in ("anonymous", "Anonymous", "sip:anonymous@anonymous.invalid", "0000"):
        for at in ("2026-03-30 09:00", "2026-03-30 10:00", "2026-03-30 11:00"):
            add_call(who, at)
    add_call("13800001111", "2026-03-30 09:00")
    add_call("13800001111", "2026-03-30 10:00")          # twice: under the threshold of 3
    add_call("13912345678", "2026-03-31 00:30")          # the next centre day: outside the window
    repeats = hotspots.repeat_callers(session, day(MONDAY))
    assert [(r.caller, r.calls) for r in repeats] == [("13912345678", 3)]
