"""漏接回拨 list rules: dedup per caller per day, short abandons, withheld numbers, window, attempts, claims."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from callbacks import rules
from callbacks.collect import collect_missed_calls
from callbacks.dialer import claim, finish, outcome_of, recover_lost
from callbacks.listing import figures
from db.models import AttemptOutcome, Call, CallbackStatus, CallOutcome
from hotline.config import Settings
from hotline.errors import HotlineError

# 2026-12-01 10:00 in Shanghai = 02:00 UTC: inside the default 08:00-21:00 window
NOON_ISH = dt.datetime(2026, 12, 1, 2, 0)


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})


_SERIAL = itertools.count(1)


def _missed(session, caller, at, *, waited=20.0, outcome=CallOutcome.abandoned):
    call = Call(uniqueid=f"u{next(_SERIAL)}", caller=caller, dialed_number="12345", arrived_at=at,
                queue_joined_at=at, ended_at=at + dt.timedelta(seconds=waited), outcome=outcome,
                wait_seconds=waited)
    session.add(call)
    session.flush()
    return call


def test_two_missed_calls_of_one_caller_on_one_day_are_one_request(session, settings):
    _missed(session, "13800000001", NOON_ISH)
    _missed(session, "13800000001", NOON_ISH + dt.timedelta(hours=1))
    _missed(session, "13800000002", NOON_ISH, outcome=CallOutcome.fallback)
    collect_missed_calls(session, settings, NOON_ISH + dt.timedelta(hours=2))
    again = collect_missed_calls(session, settings, NOON_ISH + dt.timedelta(hours=2))   # idempotent
    session.commit()
    assert again == []
    from db.models import Callback
    rows = {c.caller: c for c in session.query(Callback)}
    assert rows["13800000001"].missed_count == 2 and len(rows["13800000001"].calls) == 2
    assert rows["13800000002"].source == "fallback"
    assert rows["13800000001"].due_at == NOON_ISH + dt.timedelta(seconds=20, minutes=30)


def test_short_abandons_are_not_called_back_and_withheld_numbers_never_dialed(session, settings):
    _missed(session, "13800000003", NOON_ISH, waited=2)
    _missed(session, "anonymous", NOON_ISH)
    touched = collect_missed_calls(session, settings, NOON_ISH + dt.timedelta(minutes=1))
    session.commit()
    assert [c.caller for c in touched] == ["anonymous"]
    assert touched[0].status == CallbackStatus.undialable and touched[0].next_attempt_at is None
    assert claim(session, touched[0].id, by="test", concurrency=4) is None


def test_the_window_is_centre_time_and_a_night_call_is_due_after_opening(settings):
    window = rules.window_of(settings)
    night = dt.datetime(2026, 12, 1, 14, 0)          # 22:00 in Shanghai
    assert not window.contains(night)
    assert window.next_open(night) == dt.datetime(2026, 12, 2, 0, 0)   # 08:00 next morning
    assert rules.due_at(window, night) == dt.datetime(2026, 12, 2, 0, 30)
    with pytest.raises(HotlineError):
        rules.Window.parse("21:00-08:00", "Asia/Shanghai")
    assert rules.Window.parse("00:00-24:00", "Asia/Shanghai").contains(night)


def test_at_most_three_attempts_spaced_never_two_at_once(session, settings):
    _missed(session, "13800000004", NOON_ISH)
    [callback] = collect_missed_calls(session, settings, NOON_ISH)
    session.commit()
    window = rules.window_of(settings)
    now = NOON_ISH
    for number in (1, 2, 3):
        attempt = claim(session, callback.id, by="test", concurrency=4, now=now)
        assert attempt.number == number and attempt.channel_id == f"cb-{callback.id}-{number}"
        assert claim(session, callback.id, by="other", concurrency=4, now=now) is None   # already out
        finish(session, attempt, AttemptOutcome.busy, window=window, now=now)
        session.commit()
        if number < 3:
            assert callback.next_attempt_at == now + rules.ATTEMPT_SPACING
        now += rules.ATTEMPT_SPACING
    assert callback.status == CallbackStatus.failed and callback.attempt_count == 3
    assert claim(session, callback.id, by="test", concurrency=4, now=now) is None


def test_the_concurrency_limit_and_lost_claims(session, settings):
    for caller in ("13800000005", "13800000006"):
        _missed(session, caller, NOON_ISH)
    first, second = collect_missed_calls(session, settings, NOON_ISH)
    session.commit()
    attempt = claim(session, first.id, by="w1", concurrency=1, now=NOON_ISH)
    assert attempt is not None
    assert claim(session, second.id, by="w1", concurrency=1, now=NOON_ISH) is None   # the dialer is full
    # the worker died: the claim is lost, never redialed; the request continues with attempt 2 later
    assert recover_lost(session, rules.window_of(settings), NOON_ISH + dt.timedelta(minutes=1)) == 0
    assert recover_lost(session, rules.window_of(settings), NOON_ISH + dt.timedelta(minutes=6)) == 1
    session.commit()
    assert attempt.outcome == AttemptOutcome.lost and first.status == CallbackStatus.pending
    nxt = claim(session, first.id, by="w2", concurrency=1, now=NOON_ISH + dt.timedelta(minutes=20))
    assert nxt.number == 2


def test_outcomes_come_from_the_originate_response_and_the_cause():
    assert outcome_of("Success", "4", None) == AttemptOutcome.reached
    assert outcome_of("Failure", "5", "17") == AttemptOutcome.busy
    assert outcome_of("Failure", "3", None) == AttemptOutcome.no_answer
    assert outcome_of("Failure", "1", "21") == AttemptOutcome.refused
    assert outcome_of("Failure", "0", "38") == AttemptOutcome.failed
    assert outcome_of("", None, None) == AttemptOutcome.failed          # no response at all


def test_figures(session, settings):
    _missed(session, "13800000007", NOON_ISH)
    _missed(session, "13800000008", NOON_ISH)
    _missed(session, "anonymous", NOON_ISH)
    rows = collect_missed_calls(session, settings, NOON_ISH)
    session.commit()
    attempt = claim(session, rows[0].id, by="t", concurrency=4, now=NOON_ISH)
    finish(session, attempt, AttemptOutcome.reached, window=rules.window_of(settings),
           now=NOON_ISH + dt.timedelta(minutes=10, seconds=20))
    f = figures(rows)
    assert f == {"requests": 3, "dialable": 2, "reached": 1, "callback_rate": 0.5,
                 "median_seconds_to_callback": 600.0, "on_target_rate": 1.0}


class _RecordingAmi:
    """Answers Originate like Asterisk's AMI does (Success + ActionID); keeps what was sent."""

    def __init__(self):
        self.sent: list[dict] = []

    def action(self, name, **fields):
        self.sent.append({"Action": name, **fields})
        return {"Response": "Success", "ActionID": f"hl-{len(self.sent)}"}


def test_originates_carry_the_caller_id_setting_and_are_paced(session, settings):
    from callbacks.dialer import Dialer

    for caller in ("13800000009", "13800000010"):
        _missed(session, caller, NOON_ISH)
    rows = collect_missed_calls(session, settings, NOON_ISH)
    session.commit()
    slept: list[float] = []
    ami = _RecordingAmi()
    dialer = Dialer(dataclasses.replace(settings, outbound_caller_id="0531-12345", dialer_pacing_ms=800), ami,
                    sleep=slept.append)
    for row in rows:
        dialer.originate(claim(session, row.id, by="t", concurrency=4, now=NOON_ISH))
    assert [m["Channel"] for m in ami.sent] == ["PJSIP/13800000009@carrier", "PJSIP/13800000010@carrier"]
    assert {m["CallerID"] for m in ami.sent} == {"0531-12345 <0531-12345>"}
    assert [m["ChannelId"] for m in ami.sent] == [f"cb-{rows[0].id}-1", f"cb-{rows[1].id}-1"]
    assert len(slept) == 1 and 0.7 < slept[0] <= 0.8     # the second originate waited for the pacing gap


def test_the_call_record_shows_its_callback_request_and_each_attempts_outcome(session, settings):
    from calls.report import call_as_dict

    missed = _missed(session, "13800000009", NOON_ISH)
    answered = _missed(session, "13800000010", NOON_ISH, outcome=CallOutcome.answered)
    [callback] = collect_missed_calls(session, settings, NOON_ISH)
    attempt = claim(session, callback.id, by="test", concurrency=4, now=NOON_ISH)
    finish(session, attempt, AttemptOutcome.no_answer, window=rules.window_of(settings), now=NOON_ISH)
    session.commit()
    record = call_as_dict(missed)["callback"]
    assert record["id"] == callback.id and record["source"] == "abandoned" and record["status"] == "pending"
    assert record["reached_at"] is None and record["due_at"].endswith("Z")
    assert [(a["number"], a["outcome"], a["agent"]) for a in record["attempts"]] == [(1, "no_answer", None)]
    assert call_as_dict(answered)["callback"] is None          # an answered call is on no callback list
