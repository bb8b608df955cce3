"""Callback (漏接回拨) and 一次一评 rating-distribution figures against small hand-computed days.

The missed calls go onto the callback list by the callback package's own rules (``missed_source``,
``add_missed_call``: short abandons stay off, one request per caller per centre day, withheld numbers
never dialed), and attempts end through the dialer's ``finish``, as the rq worker does.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from callbacks import rules
from callbacks.collect import add_missed_call, missed_source
from callbacks.dialer import finish
from db.models import AttemptOutcome, CallbackAttempt, CallbackStatus, CallOutcome
from kpis import rollup as rollups
from kpis import rollup_build
from kpis.period import Period
from kpis.report import csv_text, kpi_table
from kpis.settings import load_settings
from tests.kpis.helpers import fraction, utc

DAY = dt.date(2026, 3, 2)
WINDOW = rules.Window.parse("08:00-21:00", "Asia/Shanghai")
LATER = utc("2026-03-03 12:00")       # every request of DAY is past its target time
_channels = itertools.count(1)


def figures(session, by=(), as_of=LATER, first=DAY, last=DAY):
    return kpi_table(session, Period(first, last), by, families=("calls",), as_of=as_of).calls


@pytest.fixture
def missed(session, add_call):
    """missed('2026-03-02 10:00', wait=20, caller=…) → the call, listed as the callback rules say."""
    def make(joined, *, wait=20, caller="13900000001", outcome=None):
        call = add_call(joined, wait=wait, outcome=outcome)
        call.caller = caller
        source = missed_source(call, 5)
        callback = add_missed_call(session, WINDOW, call, source) if source else None
        session.flush()
        return call, callback
    return make


def attempt(session, callback, outcome: AttemptOutcome, at: str):
    """One attempt of the dialer, claimed and finished at ``at`` (Beijing time)."""
    callback.status = CallbackStatus.dialing
    callback.attempt_count += 1
    a = CallbackAttempt(callback=callback, number=callback.attempt_count, dialed=callback.caller,
                        channel_id=f"kpi-cb-{next(_channels)}", claimed_at=utc(at))
    session.add(a)
    session.flush()
    finish(session, a, outcome, window=WINDOW, now=utc(at))
    session.flush()


def test_no_callbacks_give_empty_rates(session, add_call):
    add_call("2026-03-02 10:00", wait=5, talk=60)
    [row] = figures(session)
    f = row["figures"]
    assert f["callback_requests"]["value"] == 0 and f["callback_open"]["value"] == 0
    for name in ("callback_rate", "callback_on_target_rate", "average_time_to_callback"):
        assert f[name]["value"] is None and f[name]["denominator"] == 0, name
    assert f["median_time_to_callback"]["value"] is None and f["longest_time_to_callback"]["value"] is None


def test_a_day_of_callbacks_by_hand(session, missed):
    # A: missed 10:00:20, target 10:30:20, reached 10:10:20 (600 s, on target)
    _, a = missed("2026-03-02 10:00", wait=20, caller="13900000001")
    attempt(session, a, AttemptOutcome.reached, "2026-03-02 10:10:20")
    # the same caller misses again at 10:40: the day's request again (not a new one), open again
    _, again = missed("2026-03-02 10:40", wait=30, caller="13900000001")
    assert again.id == a.id and a.missed_count == 2 and a.status == CallbackStatus.pending
    # B: missed 11:00:40, no answer at 11:05, reached late at 12:00:40 (3600 s)
    _, b = missed("2026-03-02 11:00", wait=40, caller="13900000002")
    attempt(session, b, AttemptOutcome.no_answer, "2026-03-02 11:05")
    attempt(session, b, AttemptOutcome.reached, "2026-03-02 12:00:40")
    # C: never reached, three attempts: failed
    _, c = missed("2026-03-02 12:00", wait=10, caller="13900000003")
    for at in ("2026-03-02 12:01", "2026-03-02 12:20", "2026-03-02 12:40"):
        attempt(session, c, AttemptOutcome.no_answer, at)
    assert c.status == CallbackStatus.failed
    # D: a withheld number: listed, never dialed
    _, d = missed("2026-03-02 13:00", wait=10, caller="anonymous")
    assert d.status == CallbackStatus.undialable
    # a short abandon (under 5 s) gets no callback at all
    assert missed("2026-03-02 14:00", wait=2, caller="13900000004")[1] is None

    [row] = figures(session)
    f = row["figures"]
    assert f["callback_requests"]["value"] == 4
    assert f["callback_undialable"]["value"] == 1
    assert fraction(f["callback_rate"]) == (2, 3) and f["callback_rate"]["value"] == 0.6667
    assert fraction(f["callback_on_target_rate"]) == (1, 3)
    assert fraction(f["average_time_to_callback"]) == (4200.0, 2)
    assert f["average_time_to_callback"]["value"] == 2100.0
    assert f["median_time_to_callback"]["value"] == 2100.0
    assert f["longest_time_to_callback"]["value"] == 3600.0
    assert f["callback_open"]["value"] == 1          # A, missed again after its callback

    by_hour = {r["key"]["hour"]: r["figures"] for r in figures(session, by=("hour",))}
    assert fraction(by_hour[10]["callback_rate"]) == (1, 1)          # A counts at its first missed call
    assert by_hour[10]["callback_requests"]["value"] == 1
    assert fraction(by_hour[11]["callback_on_target_rate"]) == (0, 1)
    assert by_hour[11]["median_time_to_callback"]["value"] == 3600.0
    assert fraction(by_hour[12]["callback_rate"]) == (0, 1)
    assert by_hour[13]["callback_undialable"]["value"] == 1 and by_hour[13]["callback_rate"]["denominator"] == 0
    assert by_hour[9]["callback_requests"]["value"] == 0

    by_queue = {r["key"]["queue"]: r["figures"] for r in figures(session, by=("queue",))}
    assert by_queue["12345"]["callback_requests"]["value"] == 4
    by_agent = {r["key"]["agent"]: r["figures"] for r in figures(session, by=("agent",))}
    assert by_agent[None]["callback_requests"]["value"] == 4           # nobody answered a missed call

    text = csv_text(kpi_table(session, Period(DAY, DAY), families=("calls",), as_of=LATER))
    assert ",callback_rate,回拨率,0.6667,2,3," in text


def test_a_request_within_its_target_time_is_not_due_yet(session, missed):
    _, a = missed("2026-03-02 10:00", wait=20, caller="13900000005")     # target 10:30:20
    f = figures(session, as_of=utc("2026-03-02 10:20"))[0]["figures"]
    assert f["callback_requests"]["value"] == 1 and f["callback_open"]["value"] == 1
    assert fraction(f["callback_rate"]) == (0, 0) and f["callback_rate"]["value"] is None
    f = figures(session, as_of=utc("2026-03-02 10:31"))[0]["figures"]
    assert fraction(f["callback_rate"]) == (0, 1) and f["callback_rate"]["value"] == 0.0
    attempt(session, a, AttemptOutcome.reached, "2026-03-02 10:25")     # reached before its target: due, on target
    f = figures(session, as_of=utc("2026-03-02 10:26"))[0]["figures"]
    assert fraction(f["callback_rate"]) == (1, 1) and fraction(f["callback_on_target_rate"]) == (1, 1)
    assert f["callback_open"]["value"] == 0


def test_a_call_missed_after_the_window_closed_is_due_30_minutes_after_it_opens(session, missed):
    _, cb = missed("2026-03-02 22:00", wait=70, caller="13900000006", outcome=CallOutcome.abandoned)
    assert cb.due_at == utc("2026-03-03 08:30")
    assert fraction(figures(session, as_of=utc("2026-03-03 08:00"))[0]["figures"]["callback_rate"]) == (0, 0)
    assert fraction(figures(session, as_of=utc("2026-03-03 08:31"))[0]["figures"]["callback_rate"]) == (0, 1)


def test_rating_distribution_with_nulls(session, add_call):
    for rating in (1, 2, 3, 5, None, None):
        add_call("2026-03-02 10:00", wait=5, talk=60).rating = rating
    add_call("2026-03-02 10:05", wait=20)                              # abandoned: no survey, not in the base
    session.flush()
    f = figures(session)[0]["figures"]
    assert [f[f"rated_{level}"]["value"] for level in range(1, 6)] == [1, 1, 1, 0, 1]
    assert f["unrated"]["value"] == 2 and f["rated"]["value"] == 4
    assert fraction(f["rating_rate"]) == (4, 6)
    assert fraction(f["call_satisfaction_rate"]) == (2, 4)             # (1 + 2) / rated; no key never satisfied


def test_the_rating_distribution_and_callbacks_read_the_same_from_the_roll_up(session, add_call, missed):
    for rating in (1, 1, 4, None):
        add_call("2026-03-02 10:00", wait=5, talk=60).rating = rating
    _, a = missed("2026-03-02 11:00", wait=20, caller="13900000007")
    attempt(session, a, AttemptOutcome.reached, "2026-03-02 11:20")
    session.flush()
    live = figures(session, by=("hour",))
    rollup_build.roll(session, "calls", DAY, DAY, "Asia/Shanghai", now=utc("2026-03-04 12:00"))
    session.flush()
    rolled = figures(session, by=("hour",))
    plan = rollups.plan(session, rollups.CALLS, Period(DAY, DAY), ("hour",), {}, load_settings(session))
    assert plan is not None and plan.rolled_days == 1                  # the call sums came from kpi_call_daily
    assert rolled == live
    f = {r["key"]["hour"]: r["figures"] for r in rolled}
    assert [f[10][f"rated_{level}"]["value"] for level in range(1, 6)] == [2, 0, 0, 1, 0]
    assert fraction(f[11]["callback_rate"]) == (1, 1)
