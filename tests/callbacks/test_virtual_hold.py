"""Keep my place and call me back (回拨, virtual hold): the expected-wait estimate and the request's life."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from callbacks import virtual_hold
from callbacks.virtual_hold import expected_wait
from db.models import Agent, AttemptOutcome, Call, CallbackStatus, CallOutcome
from hotline.config import Settings


def test_the_expected_wait_is_the_position_times_the_mean_time_to_answer():
    assert expected_wait(1, [20, 40, 60]) == 40
    assert expected_wait(3, [20, 40, 60]) == 120


def test_too_few_recent_answers_give_no_estimate():
    assert expected_wait(5, [300, 300]) is None
    assert expected_wait(5, []) is None


def test_no_position_gives_no_estimate():
    assert expected_wait(0, [10, 10, 10]) is None


NOW = dt.datetime(2026, 12, 1, 4, 0)     # 12:00 centre time


def _answered(session, n: int, wait: float, *, queue="12345", ago=dt.timedelta(minutes=5)) -> None:
    for i in range(n):
        session.add(Call(uniqueid=f"seed-{queue}-{wait}-{i}-{ago}", caller="13800000000", queue_name=queue,
                         arrived_at=NOW - ago, answered_at=NOW - ago, wait_seconds=wait,
                         outcome=CallOutcome.answered))
    session.flush()


@pytest.fixture
def settings(tmp_path):
    return dataclasses.replace(Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)}), callback_window="00:00-24:00",
                               virtual_hold_offer_s=60)


def test_offered_when_the_recent_answers_of_that_queue_say_the_wait_is_over_the_threshold(session, settings):
    _answered(session, 3, 25)
    _answered(session, 3, 500, queue="english")                        # another queue: not counted
    _answered(session, 3, 500, ago=dt.timedelta(hours=2))              # long ago: not counted
    assert virtual_hold.should_offer(session, 60, "12345", 2, NOW) == (False, 50)
    assert virtual_hold.should_offer(session, 60, "12345", 3, NOW) == (True, 75)
    assert virtual_hold.should_offer(session, 0, "12345", 30, NOW) == (False, None)   # 0: never offered


def _call(session, caller="13800139999") -> Call:
    call = Call(uniqueid=f"vh-{caller}", caller=caller, arrived_at=NOW)
    session.add(call)
    session.flush()
    return call


def test_two_failed_dials_put_the_request_back_on_the_callback_list(session, settings):
    callback = virtual_hold.request(session, settings, _call(session), NOW)
    assert callback.source == "virtual_hold" and callback.status == CallbackStatus.dialing
    assert [c.caller for c in callback.calls] == ["13800139999"]
    first = virtual_hold.record_try(session, settings, callback, "NOANSWER", "19", last=False, now=NOW)
    assert first == AttemptOutcome.no_answer and callback.status == CallbackStatus.dialing
    virtual_hold.record_try(session, settings, callback, "BUSY", "17", last=True, now=NOW)
    assert callback.status == CallbackStatus.pending and callback.next_attempt_at is not None
    assert [(a.number, a.outcome) for a in callback.attempts] == [(1, AttemptOutcome.no_answer),
                                                                  (2, AttemptOutcome.busy)]


def test_an_answered_dial_reaches_the_request(session, settings):
    callback = virtual_hold.request(session, settings, _call(session, "13800138888"), NOW)
    assert virtual_hold.record_try(session, settings, callback, "ANSWER", "", last=False, now=NOW) \
        == AttemptOutcome.reached
    assert callback.status == CallbackStatus.reached and callback.reached_at == NOW


def test_a_placeholder_gone_before_the_citizen_was_reached_puts_the_request_back_on_the_list(session, settings):
    callback = virtual_hold.request(session, settings, _call(session, "13800137777"), NOW)
    assert virtual_hold.release(session, settings, callback, NOW)
    assert callback.status == CallbackStatus.pending and callback.next_attempt_at == NOW
    virtual_hold.record_try(session, settings, callback, "ANSWER", "", last=False, now=NOW)
    assert not virtual_hold.release(session, settings, callback, NOW)     # reached: nothing to do
    assert callback.status == CallbackStatus.reached


def test_a_keyed_number_is_the_one_the_request_calls_back(session, settings):
    call = _call(session, "13800136666")
    assert virtual_hold.number_to_call(call) == "13800136666"             # key 1: the number on the call
    assert virtual_hold.number_to_call(call, "13800136666") == "13800136666"
    assert virtual_hold.number_to_call(call, "13912340000") == "13912340000"   # key 2: the keyed one
    assert virtual_hold.number_to_call(call, "62345678") is None          # not a phone number: nobody to call
    callback = virtual_hold.request(session, settings, call, NOW, number="13912340000")
    assert callback.caller == "13912340000" and [c.caller for c in callback.calls] == ["13800136666"]
    virtual_hold.record_try(session, settings, callback, "NOANSWER", "19", last=False, now=NOW)
    assert [a.dialed for a in callback.attempts] == ["13912340000"]


def test_a_withheld_caller_can_only_be_called_back_on_a_keyed_number(session, settings):
    call = _call(session, "anonymous")
    assert virtual_hold.number_to_call(call) is None
    assert virtual_hold.number_to_call(call, "01012345678") == "01012345678"
    callback = virtual_hold.request(session, settings, call, NOW, number="01012345678")
    assert callback.caller == "01012345678" and callback.status == CallbackStatus.dialing


def test_the_attempt_records_the_agent_who_took_the_placeholder(session, settings):
    agent = session.scalar(select(Agent).where(Agent.number == "1001"))
    callback = virtual_hold.request(session, settings, _call(session, "13800135555"), NOW)
    virtual_hold.record_try(session, settings, callback, "ANSWER", "", last=False, agent=agent, now=NOW)
    assert [(a.outcome, a.agent_id) for a in callback.attempts] == [(AttemptOutcome.reached, agent.id)]
