"""The one outbound dialer on the real Asterisk, through the carrier trunk; the carrier simulator
plays the citizen (answers and keys, is busy, does not answer).

漏接回拨: a missed call goes on the list and the citizen is called back to an agent.
回访: an approved reply's return visit plays the summary and asks; the keys close or reopen the ticket."""
from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from callbacks import visit_summary
from callbacks.collect import collect_missed_calls
from callbacks.dialer import recover_lost
from callbacks.jobs import call_back_by_agent, place_callbacks, place_return_visits
from callbacks.rules import ATTEMPT_SPACING, window_of
from db.models import (
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    Department,
    ReturnVisit,
    ReturnVisitStatus,
    Ticket,
    TicketState,
)
from db.session import utcnow
from hotline.ami import AmiClient
from hotline.config import PROJECT_DIR
from ivr import prompts
from tests.support.waiting import wait_for
from tests.support.web import csrf_of
from tickets.context import Actor
from tickets.intake import create_ticket
from tickets.workflow import transition

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


# --- 回访: return-visit calls ----------------------------------------------------------------
REPLY = "经现场检查，该饭店已停业整顿，后厨卫生问题已责令整改。"


def _approved_ticket(hotline, phone: str, **draft) -> tuple[str, int]:
    """A ticket walked through the real workflow to 审核通过 (→ 待回访); (number, return visit id)."""
    with hotline.session_factory()() as s:
        department = s.scalar(select(Department).where(Department.code == "scjgj"))
        ticket = create_ticket(s, {"channel": "phone", "caller_phone": phone, "category": "complaint",
                                   "topic": "market-food", "description": "饭店后厨卫生条件差", **draft},
                               Actor("agent1001", "agent"))
        transition(s, ticket, "dispatch", Actor("agent1001", "agent"), params={"department": "scjgj"})
        clerk = Actor("scjgj", "clerk", department.id)
        transition(s, ticket, "accept", clerk)
        transition(s, ticket, "reply", clerk, params={"reply": REPLY})
        transition(s, ticket, "approve_reply", Actor("reviewer", "reviewer"))
        s.commit()
        visit = s.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id))
        return ticket.number, visit.id


def _ticket(hotline, number: str) -> Ticket:
    return hotline.session_factory()().scalar(select(Ticket).where(Ticket.number == number))


def _visit(hotline, visit_id: int) -> ReturnVisit:
    return hotline.session_factory()().get(ReturnVisit, visit_id)


def _wav_seconds(path) -> float:
    import wave

    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _citizen_keys(hotline, visit_id: int, phone: str, keys: str) -> None:
    """The citizen keys ``keys`` once the intro and the summary are over (during the first question)."""
    settings = hotline.settings
    summary = settings.prompts_dir / "zh" / f"{visit_summary.prompt_name(visit_id)}.wav"
    spoken = _wav_seconds(prompts.resolve(settings, "zh", "visit-intro")) + _wav_seconds(summary)
    _citizen_phone(hotline, phone, "answer")
    hotline.carrier.cli(f"dialplan set global CITIZEN_KEYS_DELAY_{phone} {spoken + 1.5:.1f}")
    hotline.carrier.cli(f"dialplan set global CITIZEN_KEYS_{phone} {keys}")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 40")


def _prepare_summary(hotline, settings, visit_id: int) -> None:
    """What place_return_visits does first (made here so the citizen's timing can be set from its length)."""
    with hotline.session_factory()() as s:
        assert visit_summary.prepare(settings, [s.get(ReturnVisit, visit_id)]) == 1
        s.commit()


def test_a_return_visit_resolved_and_satisfied_closes_the_ticket_with_the_rating(hotline, settings):
    phone = "13900000101"
    number, visit_id = _approved_ticket(hotline, phone)
    _prepare_summary(hotline, settings, visit_id)
    _citizen_keys(hotline, visit_id, phone, "1wwwwww1")      # resolved, then satisfied
    with _dialer_ami(hotline) as ami:
        results = place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=10)
    assert results == {visit_id: "reached"}
    visit = wait_for(lambda: (v := _visit(hotline, visit_id)).status is ReturnVisitStatus.done and v, 45,
                     "the citizen's answer on the return visit", interval=0.5)
    assert visit.resolved is True and visit.answer == "satisfied"
    assert visit.summary_prompt == visit_summary.prompt_name(visit_id)
    assert [(a.number, a.outcome, a.purpose) for a in visit.attempts] == [(1, "reached", "return_visit")]
    assert visit.attempts[0].channel_id == f"rv-{visit_id}-1" and visit.attempts[0].callback_id is None
    ticket = _ticket(hotline, number)
    assert ticket.state is TicketState.closed and ticket.satisfaction == "satisfied" and ticket.visit_resolved
    assert [e.event for e in ticket.events][-2:] == ["return_visit", "close"]
    assert {e.actor_role for e in ticket.events[-2:]} == {"system"}
    assert f"summary {visit_summary.prompt_name(visit_id)}" in hotline.agi_log()
    # the citizen saw the centre's caller ID, as for a callback
    assert f"CITIZEN_SAW_{phone}=12345" in hotline.carrier.cli("dialplan show globals")


def test_a_return_visit_not_satisfied_reopens_the_ticket(hotline, settings):
    phone = "13900000102"
    number, visit_id = _approved_ticket(hotline, phone)
    _prepare_summary(hotline, settings, visit_id)
    _citizen_keys(hotline, visit_id, phone, "1wwwwww3")      # resolved, but not satisfied
    with _dialer_ami(hotline) as ami:
        assert place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=10) == {visit_id: "reached"}
    visit = wait_for(lambda: (v := _visit(hotline, visit_id)).status is ReturnVisitStatus.done and v, 45,
                     "the citizen's answer on the return visit", interval=0.5)
    assert visit.resolved is True and visit.answer == "dissatisfied"
    ticket = _ticket(hotline, number)
    assert ticket.state is TicketState.dispatched and ticket.reopen_count == 1 and ticket.department.code == "scjgj"
    assert [e.event for e in ticket.events][-2:] == ["return_visit", "reopen"]
    assert ticket.satisfaction is None       # reopened: not counted until the citizen's next word


def test_a_citizen_who_never_answers_the_return_visit_waits_for_a_human(hotline, settings):
    phone = "13900000103"
    number, visit_id = _approved_ticket(hotline, phone)
    _citizen_phone(hotline, phone, "noanswer")
    now = utcnow()
    for attempt in (1, 2, 3):
        with _dialer_ami(hotline) as ami:
            results = place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=4, now=now)
        assert results == {visit_id: "no_answer"}, f"attempt {attempt}"
        visit = _visit(hotline, visit_id)
        if attempt < 3:
            assert visit.status is ReturnVisitStatus.pending and visit.next_attempt_at >= now + ATTEMPT_SPACING
            with _dialer_ami(hotline) as ami:   # not due yet: spacing between attempts
                assert place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=4, now=now) == {}
            now = visit.next_attempt_at + dt.timedelta(seconds=1)
    visit = _visit(hotline, visit_id)
    assert visit.status is ReturnVisitStatus.failed and visit.attempt_count == 3
    assert [a.outcome for a in visit.attempts] == ["no_answer"] * 3
    ticket = _ticket(hotline, number)
    assert ticket.state is TicketState.awaiting_visit and ticket.satisfaction is None and ticket.closed_at is None
    with _dialer_ami(hotline) as ami:           # never a 4th call
        assert place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=4,
                                   now=now + dt.timedelta(hours=1)) == {}
    # on the reviewers' return-visit list for a human
    client = hotline.web_app().test_client()
    assert client.post("/login", data={"username": "reviewer", "password": hotline.passwords["reviewer"],
                                       "csrf_token": csrf_of(client)}).status_code == 302
    page = client.get("/centre/").get_data(as_text=True)
    section = page.split('id="return-visits-for-a-human"', 1)[1].split("<h2", 1)[0]
    assert number in section and "三次未接通" in section and "无人接听" in section


def test_a_confidential_ticket_is_never_dialed_for_a_return_visit(hotline, settings):
    phone = "13900000104"
    number, visit_id = _approved_ticket(hotline, phone, confidential=True)
    _citizen_phone(hotline, phone, "answer")
    with _dialer_ami(hotline) as ami:
        assert place_return_visits(settings, hotline.session_factory(), ami, ring_seconds=4) == {}
    visit = _visit(hotline, visit_id)
    assert visit.status is ReturnVisitStatus.not_called and visit.attempts == []
    assert f"CITIZEN_SAW_{phone}" not in hotline.carrier.cli("dialplan show globals")   # the phone never rang
    assert _ticket(hotline, number).state is TicketState.awaiting_visit
