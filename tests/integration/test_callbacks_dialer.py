"""漏接回拨 on the real Asterisk: a missed call goes on the list and the dialer calls the citizen
through the carrier trunk; the carrier simulator plays the citizen (answers, is busy, does not answer)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from callbacks.collect import collect_missed_calls
from callbacks.dialer import recover_lost
from callbacks.jobs import call_back_by_agent, place_callbacks
from callbacks.rules import window_of
from db.models import AttemptOutcome, Callback, CallbackAttempt, CallbackStatus
from db.session import utcnow
from hotline.ami import AmiClient
from hotline.config import PROJECT_DIR
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

AGENTS = ("agent1001", "agent1002", "agent1003", "agent1004")


def _dialer_ami(hotline) -> AmiClient:
    """The worker's own AMI user (least privilege: originate, call and agent events)."""
    return AmiClient("127.0.0.1", hotline.settings.ports.ami, *hotline.settings.ami_login("dialer"))


@pytest.fixture
def settings(hotline):
    """Callbacks dialed at any hour (the test runs whenever CI does), quick pacing."""
    return dataclasses.replace(hotline.settings, callback_window="00:00-24:00", dialer_pacing_ms=200)


def _miss_a_call(hotline, caller: str) -> dict:
    """Nobody answers; the citizen gives up after ~6 s in the queue: an abandoned call."""
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")
    record = hotline.call("12345", "--from", caller, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "7")
    for agent in AGENTS:
        hotline.set_softphone(agent, "answer")
    assert record["outcome"] == "abandoned" and record["wait_seconds"] >= 5
    return record


def _citizen_phone(hotline, number: str, mode: str) -> None:
    hotline.carrier.cli(f"dialplan set global CITIZEN_PHONE_{number} {mode}")


def _callback_of(hotline, caller: str) -> Callback:
    session = hotline.session_factory()()
    return session.scalar(select(Callback).where(Callback.caller == caller))


def _idle_agents(hotline):
    from callbacks.dialer import idle_agents

    with hotline.pbx_ami() as ami:
        wait_for(lambda: idle_agents(ami) > 0, 10, "an idle agent", interval=0.2)


def test_a_missed_call_is_called_back_and_reaches_an_agent(hotline, settings):
    record = _miss_a_call(hotline, "13900000001")
    _citizen_phone(hotline, "13900000001", "answer")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 15")
    _idle_agents(hotline)
    mark = len(hotline.agi_log())
    with _dialer_ami(hotline) as ami:
        results = place_callbacks(settings, hotline.session_factory(), ami, ring_seconds=10)
    callback = _callback_of(hotline, "13900000001")
    assert results[callback.id] == "reached"
    assert callback.status == CallbackStatus.reached and callback.source == "abandoned"
    assert [c.uniqueid for c in callback.calls] == [record["uniqueid"]]
    attempt = callback.attempts[0]
    assert attempt.number == 1 and attempt.outcome == AttemptOutcome.reached and attempt.claimed_by == "worker"
    # after the greeting the called-back citizen is put through to an agent
    wait_for(lambda: _callback_of(hotline, "13900000001").attempts[0].agent_id is not None, 25,
             "the called-back citizen reached an agent", interval=0.5)
    assert "callback cb-" in hotline.agi_log()[mark:] and "reached agent 100" in hotline.agi_log()[mark:]
    # the citizen's phone showed the centre's caller ID (a setting, 12345 by default)
    assert "CITIZEN_SAW_13900000001=12345" in hotline.carrier.cli("dialplan show globals")


def test_a_busy_citizen_gets_a_later_attempt(hotline, settings):
    _miss_a_call(hotline, "13900000002")
    _citizen_phone(hotline, "13900000002", "busy")
    _idle_agents(hotline)
    before = utcnow()
    with _dialer_ami(hotline) as ami:
        results = place_callbacks(settings, hotline.session_factory(), ami, ring_seconds=10)
    callback = _callback_of(hotline, "13900000002")
    assert results[callback.id] == "busy"
    assert callback.attempts[0].hangup_cause == "17"
    assert callback.status == CallbackStatus.pending and callback.attempt_count == 1
    assert callback.next_attempt_at >= before + dt.timedelta(minutes=10)   # spacing between attempts


def test_a_citizen_who_does_not_answer_is_no_answer(hotline, settings):
    _miss_a_call(hotline, "13900000003")
    _citizen_phone(hotline, "13900000003", "noanswer")
    _idle_agents(hotline)
    with _dialer_ami(hotline) as ami:
        results = place_callbacks(settings, hotline.session_factory(), ami, ring_seconds=4)
    callback = _callback_of(hotline, "13900000003")
    assert results[callback.id] == "no_answer"
    assert callback.attempts[0].outcome == AttemptOutcome.no_answer


def test_a_citizen_who_rejects_the_call_is_refused(hotline, settings):
    _miss_a_call(hotline, "13900000006")
    _citizen_phone(hotline, "13900000006", "refuse")
    _idle_agents(hotline)
    with _dialer_ami(hotline) as ami:
        results = place_callbacks(settings, hotline.session_factory(), ami, ring_seconds=10)
    callback = _callback_of(hotline, "13900000006")
    assert results[callback.id] == "refused"
    assert callback.attempts[0].hangup_cause == "21" and callback.status == CallbackStatus.pending


def test_one_click_puts_the_citizen_through_to_the_agent_who_clicked(hotline, settings):
    _miss_a_call(hotline, "13900000004")
    _citizen_phone(hotline, "13900000004", "answer")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 15")
    with hotline.session_factory()() as session:   # what the periodic job does first: list the call
        collect_missed_calls(session, settings)
        session.commit()
    callback_id = _callback_of(hotline, "13900000004").id
    with _dialer_ami(hotline) as ami:
        results = call_back_by_agent(callback_id, "1002", settings, hotline.session_factory(), ami)
    assert results == {callback_id: "reached"}
    wait_for(lambda: _callback_of(hotline, "13900000004").attempts[0].agent_id is not None, 25,
             "the citizen reached the agent who clicked", interval=0.5)
    attempt = _callback_of(hotline, "13900000004").attempts[0]
    assert attempt.agent.number == "1002" and attempt.claimed_by == "agent:1002"


def test_a_killed_worker_never_dials_the_same_attempt_twice(hotline, settings):
    _miss_a_call(hotline, "13900000005")
    _citizen_phone(hotline, "13900000005", "noanswer")
    _idle_agents(hotline)
    env = {**hotline.env, "HOTLINE_CALLBACK_WINDOW": "00:00-24:00"}
    worker = subprocess.Popen([sys.executable, "-c", "from callbacks.jobs import place_callbacks_now as p; p()"],
                              env=env, cwd=PROJECT_DIR)
    try:
        wait_for(lambda: (c := _callback_of(hotline, "13900000005")) is not None and len(c.attempts) == 1,
                 30, "the worker claimed attempt 1", interval=0.2)
        wait_for(lambda: "citizen-phone" in hotline.carrier.cli("core show channels concise"), 10,
                 "the citizen's phone rings", interval=0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    # a new worker run: the request is out (claimed), so it is not dialed again
    with _dialer_ami(hotline) as ami:
        assert place_callbacks(settings, hotline.session_factory(), ami, ring_seconds=4) == {}
    callback = _callback_of(hotline, "13900000005")
    assert callback.status == CallbackStatus.dialing and [a.outcome for a in callback.attempts] == ["claimed"]
    # later the claim is found lost: never redialed; the request's next attempt is a new one, after the spacing
    with hotline.session_factory()() as session:
        assert recover_lost(session, window_of(settings), utcnow() + dt.timedelta(minutes=6)) == 1
        session.commit()
    callback = _callback_of(hotline, "13900000005")
    assert callback.attempts[0].outcome == AttemptOutcome.lost
    assert callback.status == CallbackStatus.pending and callback.attempt_count == 1
    with hotline.session_factory()() as session:
        channel_ids = session.scalars(select(CallbackAttempt.channel_id)
                                      .where(CallbackAttempt.callback_id == callback.id)).all()
    assert channel_ids == [f"cb-{callback.id}-1"]
