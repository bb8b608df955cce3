"""Keep my place and call me back (回拨, virtual hold) on the real Asterisk.

The queue's recent answers are made slow (answered calls with 100 s waits, outnumbering the
shared hotline's earlier calls of the last 30 minutes), so a caller's expected wait is over the
offer threshold (30 s): the caller keys 1 (or 2 and a number) and hangs up; a placeholder
takes the place in the 12345 queue ahead of a later caller; the agent who answers it is
connected first, then the citizen is dialed with caller ID 12345. A citizen who does not
answer is tried twice, then the request waits on the callback list.
"""
from __future__ import annotations

import datetime as dt
import math
import threading

import pytest
from sqlalchemy import delete, select

from db.models import AttemptOutcome, Call, Callback, CallbackStatus, CallOutcome
from db.session import utcnow
from hotline.dialplan import VHOLD_QUEUE_URL
from hotline.media import audio_stats
from ivr.prompts import resolve
from kpis.check import check, default_queue_log
from kpis.period import Period
from tests.support.telephony import citizen_application
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

AGENTS = ("agent1001", "agent1002", "agent1003", "agent1004")
SEED = "vhold-seed-"
RING = 3          # VHOLD_RING_S in these tests: how long the citizen's phone rings
OFFER_S = 30      # VHOLD_OFFER_S in these tests
SLOW = 400        # slow answers seeded: they outweigh the earlier modules' quick ones in the mean


def _seconds(hotline, prompt: str) -> float:
    return audio_stats(resolve(hotline.settings, "zh", prompt)).seconds


@pytest.fixture
def slow_queue(hotline):
    """Calls answered after 100 s each just now: any caller's expected wait is long.

    The estimate is a mean over the queue's last 30 minutes, which on the shared hotline holds the
    earlier modules' quick answers too; 400 slow ones keep the mean over the threshold.
    """
    with hotline.session_factory()() as s:
        now = utcnow()
        for i in range(SLOW):
            s.add(Call(uniqueid=f"{SEED}{i}", caller="13800000000", queue_name="12345", arrived_at=now,
                       answered_at=now, wait_seconds=100.0, outcome=CallOutcome.answered, ended_at=now))
        s.commit()
    hotline.pbx.cli(f"dialplan set global VHOLD_RING_S {RING}")
    hotline.pbx.cli(f"dialplan set global VHOLD_OFFER_S {OFFER_S}")   # the test hotline has offers off
    yield
    hotline.pbx.cli(f"dialplan set global VHOLD_OFFER_S {hotline.settings.virtual_hold_offer_s}")
    hotline.pbx.cli(f"dialplan set global VHOLD_RING_S {hotline.settings.virtual_hold_ring_s}")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 20")
    with hotline.session_factory()() as s:
        s.execute(delete(Call).where(Call.uniqueid.like(f"{SEED}%")))
        s.commit()


def _keys(hotline) -> str:
    """1 for an agent on the menu, then 1 every 1.5 s until one lands in the offer's Read."""
    span = _seconds(hotline, "transfer-agent") + _seconds(hotline, "vhold-offer") + 3
    return "1" + "www1" * math.ceil(span / 1.5)


def _callback_of(hotline, caller: str) -> Callback | None:
    return hotline.session_factory()().scalar(select(Callback).where(Callback.caller == caller))



def _attempts(hotline, number: str) -> list[tuple]:
    """The request's attempts: (number, dialed, outcome, the agent who took the placeholder)."""
    with hotline.session_factory()() as s:
        callback = s.scalar(select(Callback).where(Callback.caller == number))
        return [(a.number, a.dialed, a.outcome, a.agent.number if a.agent else None) for a in callback.attempts]


def _placeholder_waiting(hotline, callback_id: int) -> bool:
    return f"Local/{callback_id}-0-12345@hotline-vhold-place-" in hotline.pbx.cli("queue show 12345")


def _pause_all_but_agent1001(hotline, paused: bool = True) -> None:
    """Only agent 1001 stays available: with autofill, the later caller (position 2) never rings an agent
    while one is free for the placeholder, and 1001 is the next one rung (no other's 15 s ring first)."""
    with hotline.pbx_ami() as ami:
        for agent in AGENTS[1:]:
            ami.action("QueuePause", Interface=f"PJSIP/{agent}", Paused="true" if paused else "false",
                       **({"Reason": "vhold test"} if paused else {}))


def test_the_placeholder_keeps_the_place_ahead_of_a_later_caller_and_the_agent_calls_back(hotline, slow_queue):
    caller, later = "13800140001", "13800140002"
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")
    _pause_all_but_agent1001(hotline)
    hotline.carrier.cli(f"dialplan set global CITIZEN_PHONE_{caller} answer")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 3")
    record = hotline.call("12345", "--from", caller, "--dtmf", _keys(hotline), "--dtmf-delay", "1",
                          "--hangup-after", "30")
    callback = _callback_of(hotline, caller)
    assert callback is not None, f"no virtual-hold request: {record}"
    assert callback.source == "virtual_hold" and callback.status == CallbackStatus.dialing
    assert [c.uniqueid for c in callback.calls] == [record["uniqueid"]]
    # the citizen's own call never queued (its place is the placeholder's): 回拨预约, not an abandoned offered call
    assert record["outcome"] == "virtual_hold", record
    assert record["queue"] is None and record["wait_seconds"] is None, record
    assert "virtual hold offered in 12345: position 1, expected wait" in hotline.agi_log()
    wait_for(lambda: _placeholder_waiting(hotline, callback.id), 10, "the placeholder in the 12345 queue",
             interval=0.2)

    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(record=hotline.call(
        "12345", "--from", later, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "90")))
    citizen.start()
    try:
        wait_for(lambda: citizen_application(hotline, later) == "Queue", 30, "the later caller in the queue",
                 interval=0.2)
        hotline.set_softphone("agent1001", "answer")
        taken = f"virtual hold {callback.id} taken by agent 1001: calling back"
        wait_for(lambda: taken in hotline.agi_log(), 40, "an agent to take the placeholder", interval=0.2)
        assert citizen_application(hotline, later) == "Queue"       # the later caller is still waiting behind it
        wait_for(lambda: _callback_of(hotline, caller).status == CallbackStatus.reached, 30 + 2 * RING,
                 "the citizen reached", interval=0.3)
        saw = hotline.carrier.cli("dialplan show globals").split(f"CITIZEN_SAW_{caller}=", 1)
        assert len(saw) == 2 and saw[1].split()[0] == hotline.settings.outbound_caller_id
        log = hotline.agi_log()
        assert log.index(taken) < log.index(f"virtual hold {callback.id}: dial reached (ANSWER), request reached")
        reached = _callback_of(hotline, caller)
        assert [(a.number, a.outcome, a.claimed_by) for a in reached.attempts] == [
            (1, AttemptOutcome.reached, "virtual_hold")]
        assert _attempts(hotline, caller) == [(1, caller, AttemptOutcome.reached, "1001")]   # who called back
    finally:
        hangup = [row.split("!")[0] for row in hotline.pbx.cli("core show channels concise").splitlines()
                  if row.startswith("PJSIP/carrier") and f"!{later}!" in row]
        for channel in hangup:
            hotline.pbx.cli(f"channel request hangup {channel}")
        citizen.join(60)
        _pause_all_but_agent1001(hotline, paused=False)
    assert result["record"]["answered_at"] is None       # the later caller never got ahead of the placeholder


def test_a_citizen_who_does_not_answer_is_tried_twice_then_waits_on_the_callback_list(hotline, slow_queue):
    caller = "13800140003"
    hotline.carrier.cli(f"dialplan set global CITIZEN_PHONE_{caller} noanswer")
    hotline.call("12345", "--from", caller, "--dtmf", _keys(hotline), "--dtmf-delay", "1", "--hangup-after", "30")
    callback = _callback_of(hotline, caller)
    assert callback is not None and callback.source == "virtual_hold"
    wait_for(lambda: _callback_of(hotline, caller).status == CallbackStatus.pending, 30 + 3 * RING,
             "the request back on the callback list", interval=0.3)
    listed = _callback_of(hotline, caller)
    assert [(a.number, a.outcome) for a in listed.attempts] == [(1, AttemptOutcome.no_answer),
                                                                (2, AttemptOutcome.no_answer)]
    assert listed.next_attempt_at is not None and listed.attempt_count == 2   # the dialer has one more try


def test_a_placeholder_gone_before_an_agent_answered_puts_the_request_back_on_the_list(hotline, slow_queue):
    caller = "13800140004"
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")
    hotline.call("12345", "--from", caller, "--dtmf", _keys(hotline), "--dtmf-delay", "1", "--hangup-after", "30")
    callback = _callback_of(hotline, caller)
    assert callback is not None and callback.status == CallbackStatus.dialing
    wait_for(lambda: _placeholder_waiting(hotline, callback.id), 10, "the placeholder in the 12345 queue",
             interval=0.2)
    placeholder = next(row.split("!")[0] for row in hotline.pbx.cli("core show channels concise").splitlines()
                       if row.startswith(f"Local/{callback.id}-0-12345@hotline-vhold-place-") and ";2!" in row)
    hotline.pbx.cli(f"channel request hangup {placeholder}")     # e.g. the wait outlived the longest call
    wait_for(lambda: _callback_of(hotline, caller).status == CallbackStatus.pending, 10,
             "the request back on the callback list", interval=0.2)
    assert _callback_of(hotline, caller).attempts == []        # never dialed: the dialer has all its tries


def _pbx_leg(hotline, caller: str) -> list[str]:
    """The citizen's channel on the PBX (concise fields: channel, context, exten, priority, state, app, data…)."""
    for row in hotline.pbx.cli("core show channels concise").splitlines():
        parts = row.split("!")
        if len(parts) > 7 and parts[0].startswith("PJSIP/carrier") and parts[7] == caller:
            return parts
    return []


def _reading(hotline, caller: str, context: str, variable: str, entry: str | None = None) -> bool:
    """The citizen's channel waits in Read(<variable>) in ``context`` (on its ``entry``-th number entry)."""
    leg = _pbx_leg(hotline, caller)
    if not (leg and leg[1] == context and leg[5] == "Read" and leg[6].startswith(variable + ",")):
        return False
    if entry is None:
        return True
    with hotline.pbx_ami() as ami:
        return ami.action("Getvar", Channel=leg[0], Variable="HOTLINE_VHOLD_ENTRY").get("Value") == entry


def _press(hotline, caller: str, keys: str) -> None:
    """The citizen presses ``keys`` now: RFC 4733 DTMF from the carrier's leg of the call (PlayDTMF)."""
    with hotline.carrier_ami() as ami:
        # the carrier's SIP leg towards the hotline, of this citizen (CITIZEN is inherited from `hotline call`)
        legs = [row.split("!")[0] for row in ami.command("core show channels concise").splitlines()
                if row.startswith("PJSIP/hotline-")]
        [leg] = [name for name in legs if ami.action("Getvar", Channel=name, Variable="CITIZEN").get("Value") == caller]
        for key in keys:
            reply = ami.action("PlayDTMF", Channel=leg, Digit=key, Duration="200")
            assert reply.get("Response") == "Success", reply


def test_a_withheld_caller_keys_a_number_after_a_wrong_one_and_is_called_back_on_it(hotline, slow_queue):
    """Key 2 only (the caller ID is withheld); the first entry is no phone number (no area code): asked once
    more; the second is read back, confirmed with 1; the agent who takes the placeholder calls that number."""
    caller, keyed = "anonymous", "13800140012"
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")         # nobody takes the placeholder before the checks below
    hotline.carrier.cli(f"dialplan set global CITIZEN_PHONE_{keyed} answer")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 3")
    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(record=hotline.call(
        "12345", "--from", caller, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "90")))
    citizen.start()
    try:
        wait_for(lambda: _reading(hotline, caller, "hotline-vhold-offer", "HOTLINE_VHOLD_CHOICE"), 40,
                 "the offer (key 2 only)", interval=0.2)
        assert "hotline/vhold-offer-keyed" in _pbx_leg(hotline, caller)[6]    # no key 1: nothing to call back on
        _press(hotline, caller, "2")
        wait_for(lambda: _reading(hotline, caller, "hotline-vhold-number", "HOTLINE_VHOLD_KEYED", "1"), 15,
                 "the number entry", interval=0.2)
        _press(hotline, caller, "62345678#")                      # a landline without its area code
        wait_for(lambda: _reading(hotline, caller, "hotline-vhold-number", "HOTLINE_VHOLD_KEYED", "2"), 20,
                 "the second number entry", interval=0.2)
        _press(hotline, caller, keyed + "#")
        wait_for(lambda: _reading(hotline, caller, "hotline-vhold-number", "HOTLINE_VHOLD_CONFIRM"), 30,
                 "the number read back", interval=0.2)
        _press(hotline, caller, "1")
        citizen.join(60)
    finally:
        leg = _pbx_leg(hotline, caller)
        if leg:
            hotline.pbx.cli(f"channel request hangup {leg[0]}")
        citizen.join(60)
    record = result["record"]
    assert record["outcome"] == "virtual_hold" and record["queue"] is None, record   # 回拨预约, never abandoned
    log = hotline.agi_log()
    assert "virtual hold: keyed number not a phone number" in log and "virtual hold: keyed number valid" in log
    callback = _callback_of(hotline, keyed)
    assert callback is not None and callback.source == "virtual_hold", record
    assert [c.uniqueid for c in callback.calls] == [record["uniqueid"]]
    wait_for(lambda: _placeholder_waiting(hotline, callback.id), 10, "the placeholder in the 12345 queue",
             interval=0.2)
    _pause_all_but_agent1001(hotline)
    try:
        hotline.set_softphone("agent1001", "answer")
        wait_for(lambda: _callback_of(hotline, keyed).status == CallbackStatus.reached, 40 + 2 * RING,
                 "the keyed number reached", interval=0.3)
    finally:
        _pause_all_but_agent1001(hotline, paused=False)
    # the agent heard whom they call back in the caller's language (12345: zh), not a fixed one
    assert f"{callback.id}-zh-{keyed}@hotline-vhold-agent" in (hotline.pbx.base_dir / "log" / "messages").read_text(
        errors="replace")
    saw = hotline.carrier.cli("dialplan show globals").split(f"CITIZEN_SAW_{keyed}=", 1)
    assert len(saw) == 2 and saw[1].split()[0] == hotline.settings.outbound_caller_id   # the carrier dialed it
    assert _attempts(hotline, keyed) == [(1, keyed, AttemptOutcome.reached, "1001")]
    # queue_log: the placeholder's ENTERQUEUE is marked, and `hotline kpis --check` finds no difference for it
    # nor for the citizen's own call (never queued, virtual_hold)
    entered = [line for line in default_queue_log(hotline.settings).read_text().splitlines()
               if f"|ENTERQUEUE|{VHOLD_QUEUE_URL}{callback.id}|" in line]
    assert len(entered) == 1, entered
    today = (utcnow() + dt.timedelta(hours=8)).date()
    with hotline.session_factory()() as s:
        result = check(s, hotline.settings, Period(today - dt.timedelta(days=1), today))
    differing = {d.uniqueid for d in result.differences}
    assert entered[0].split("|")[1] not in differing and record["uniqueid"] not in differing
