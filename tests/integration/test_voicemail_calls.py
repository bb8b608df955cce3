"""留言 on the real Asterisk: the carrier simulator plays the citizen who leaves a message.

Key 8 on the main menu, a tone as the citizen's voice, hang up → an intake ticket (channel
voicemail) with a playable recording and a callback request. A silent, short message is
dropped and logged. A wait past the queue's limit offers voicemail; the caller who keys
nothing waits on.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Callback, Queue, Ticket, TicketChannel, TicketState
from hotline.media import audio_stats
from ivr.prompts import resolve
from tests.support.telephony import citizen_application
from tests.support.waiting import wait_for
from tests.support.web import csrf_of

pytestmark = pytest.mark.asterisk

AGENTS = ("agent1001", "agent1002", "agent1003", "agent1004")
BEEP = 1.0            # Record()'s beep, and some slack
NO_AGENT_WAIT = 6     # HOTLINE_VOICEMAIL_NO_AGENT_WAIT_S of this module's installation
HOTLINE_ENV = {"HOTLINE_VOICEMAIL_NO_AGENT_WAIT_S": str(NO_AGENT_WAIT)}
OWN_HOTLINE = True    # its short no-agent wait would offer voicemail to other modules' callers of an empty queue
WAIT_LIMIT = 5        # the 12345 queue's max_wait_seconds in the queue-timeout tests (the least an admin may set)


def _seconds(hotline, prompt: str, lang: str = "zh") -> float:
    return audio_stats(resolve(hotline.settings, lang, prompt)).seconds


def _ticket_of(hotline, call_uniqueid: str) -> Ticket | None:
    session = hotline.session_factory()()
    for ticket in session.scalars(select(Ticket).where(Ticket.channel == TicketChannel.voicemail)):
        if any(c.uniqueid == call_uniqueid for c in ticket.calls):
            return ticket
    return None


def _agent_client(hotline, number: str = "1001"):
    client = hotline.web_app().test_client()
    login = f"agent{number}"
    assert client.post("/login", data={"username": login, "password": hotline.passwords[login],
                                       "csrf_token": csrf_of(client)}).status_code == 302
    return client


def test_a_message_after_key_8_becomes_an_intake_ticket_with_a_playable_recording(hotline):
    caller = "13800120001"
    prompt = _seconds(hotline, "voicemail-prompt")
    # 8 during the menu's greeting; the citizen speaks 4 s (a tone) once the beep is over, then hangs up
    record = hotline.call("12345", "--from", caller, "--dtmf", "8", "--dtmf-delay", "1",
                          "--speak-delay", f"{prompt + BEEP:.1f}", "--speak", "4", "--hangup-after", "1")
    assert record["outcome"] == "voicemail"
    assert record["ivr_path"] == "8"
    assert record["queue"] is None and record["wait_seconds"] is None   # never queued: not an offered call
    voicemail = record["voicemail"]
    assert voicemail["status"] == "kept"
    assert 3.0 <= voicemail["seconds"] <= 8.0, voicemail
    wav = Path(voicemail["file"])
    assert wav.is_file() and wav.resolve().is_relative_to(hotline.settings.recordings_dir.resolve())
    stats = audio_stats(wav)
    assert stats.seconds >= 3.0 and stats.rms_db > -30     # the tone is in it, not silence

    ticket = _ticket_of(hotline, record["uniqueid"])
    assert ticket is not None, "no voicemail ticket for the call"
    assert ticket.state == TicketState.intake and ticket.channel == TicketChannel.voicemail
    assert ticket.caller_phone == caller and ticket.line.number == "12345"
    assert ticket.created_by == "voicemail" and "留言" in ticket.description
    number, call_id = ticket.number, ticket.calls[0].id

    with hotline.session_factory()() as s:
        callback = s.scalar(select(Callback).where(Callback.caller == caller))
        assert callback is not None and callback.source == "voicemail"
        assert [c.uniqueid for c in callback.calls] == [record["uniqueid"]]

    # the agents' ticket page plays it; the file itself only for a logged-in member of staff
    agent = _agent_client(hotline)
    page = agent.get(f"/centre/tickets/{number}").get_data(as_text=True)
    assert f"/centre/voicemails/{call_id}" in page
    audio = agent.get(f"/centre/voicemails/{call_id}")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.get_data() == wav.read_bytes() and len(audio.get_data()) > 8000 * 2 * 3
    anonymous = hotline.web_app().test_client().get(f"/centre/voicemails/{call_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert hotline.web_app().test_client().get(f"/centre/voicemails/{call_id}",
                                               headers={"Accept": "application/json"}).status_code == 401
    assert f"[{record['uniqueid']}] voicemail: kept" in hotline.agi_log()


def test_a_silent_short_message_is_dropped_and_logged(hotline):
    caller = "13800120002"
    prompt = _seconds(hotline, "voicemail-prompt")
    # 8, then silence: the citizen hangs up about a second after the beep
    record = hotline.call("12345", "--from", caller, "--dtmf", "8", "--dtmf-delay", "1",
                          "--hangup-after", f"{prompt + BEEP + 1:.1f}")
    voicemail = record["voicemail"]
    assert voicemail is not None and voicemail["status"] in ("too_short", "silent", "missing"), voicemail
    assert not Path(voicemail["file"]).exists()              # the file is removed
    assert record["outcome"] == "abandoned"                  # no message: a missed call like any other
    assert _ticket_of(hotline, record["uniqueid"]) is None
    log = hotline.agi_log()
    assert f"[{record['uniqueid']}] voicemail: {voicemail['status']}" in log
    dropped = [row for row in log.splitlines() if f"voicemail of call {record['uniqueid']} from " in row]
    assert len(dropped) == 1 and f"dropped: {voicemail['status']}" in dropped[0], dropped
    assert caller not in dropped[0]          # the log masks the citizen's number


@pytest.fixture
def short_wait_nobody_answers(hotline):
    """The 12345 queue's limit is WAIT_LIMIT seconds, and no softphone answers."""
    with hotline.session_factory()() as s:
        queue = s.scalar(select(Queue).where(Queue.name == "12345"))
        kept, queue.max_wait_seconds = queue.max_wait_seconds, WAIT_LIMIT
        s.commit()
    _announce(hotline, f"limit-{WAIT_LIMIT}")
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")
    yield
    for agent in AGENTS:
        hotline.set_softphone(agent, "answer")
    with hotline.session_factory()() as s:
        s.scalar(select(Queue).where(Queue.name == "12345")).max_wait_seconds = kept
        s.commit()
    _announce(hotline, "limit-back")


def _announce(hotline, item: str) -> None:
    """Tell the FastAGI server its routing snapshot is stale (as centre_config.live does), and wait until it heard."""
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    message = json.dumps({"kinds": ["voicemail-test"], "items": [f"voicemail-test:{item}"]})
    redis_client(hotline.settings).publish(Keys(hotline.settings.redis_prefix).config_channel, message)
    wait_for(lambda: f"configuration changed (voicemail-test:{item})" in hotline.agi_log(), 10,
             "the FastAGI server to drop its routing snapshot", interval=0.2)



def test_a_wait_past_the_limit_offers_voicemail_and_key_8_takes_it(hotline, short_wait_nobody_answers):
    caller = "13800120003"
    offer = _seconds(hotline, "voicemail-offer")
    # 1: an agent, please; the limit in 12345, then in its overflow queue; then 8 a few times while the
    # offer plays (the first one that lands takes it)
    keys = "1" + "w" * (2 * (2 * WAIT_LIMIT + 2)) + "8" + "www8" * math.ceil(offer / 1.5)
    record = hotline.call("12345", "--from", caller, "--dtmf", keys, "--dtmf-delay", "1", "--hangup-after", "25")
    assert record["queue"] == "overflow" and record["wait_seconds"] >= 2 * WAIT_LIMIT, record
    assert record["answered_at"] is None
    voicemail = record["voicemail"]
    assert voicemail is not None, f"no voicemail on a call that waited past the limit: {record}"
    # a silent message (the citizen said nothing): dropped, and the call is a missed call
    assert voicemail["status"] in ("too_short", "silent"), voicemail
    assert record["outcome"] == "abandoned"
    assert record["ivr_path"] == "1"        # not the menu's 8: the offer after the wait took it
    # the wait ended when the citizen keyed 8, not after the prompt and the (silent) message
    in_queue_to_end = (dt.datetime.fromisoformat(record["ended_at"].rstrip("Z"))
                       - dt.datetime.fromisoformat(record["queue_joined_at"].rstrip("Z"))).total_seconds()
    assert record["wait_seconds"] < in_queue_to_end - _seconds(hotline, "voicemail-prompt"), record


def test_a_caller_who_keys_nothing_on_the_offer_waits_on_and_is_answered(hotline, short_wait_nobody_answers):
    caller = "13800120004"
    offer = _seconds(hotline, "voicemail-offer")
    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(record=hotline.call(
        "12345", "--from", caller, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "60")))
    citizen.start()
    try:
        # past the limit (12345, then overflow), the offer, then back in the queue: now an agent answers
        wait_for(lambda: citizen_application(hotline, caller) == "Read", 2 * WAIT_LIMIT + 20, "the voicemail offer",
                 interval=0.2)
        wait_for(lambda: citizen_application(hotline, caller) == "Queue", offer + 15, "the caller back in the queue",
                 interval=0.2)
        for agent in AGENTS:
            hotline.set_softphone(agent, "answer")
        hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 2")
    finally:
        citizen.join(90)
    record = result["record"]
    assert record["outcome"] == "answered" and record["voicemail"] is None
    assert record["wait_seconds"] >= 2 * WAIT_LIMIT + offer     # one wait, from the first join


@pytest.fixture
def nobody_logged_in(hotline):
    """Night at a closed desk: every agent logged out of every queue."""
    from queue_logic.agent_sessions import logout_direct, memberships
    from queue_logic.directory import load_directory

    with hotline.session_factory()() as session:
        agents = [a for a in load_directory(session).agents.values() if a.queues]
    with hotline.pbx_ami() as ami:
        logout_direct(ami, agents)
        wait_for(lambda: not any(memberships(ami).values()), 10, "every agent logged out", interval=0.2)
    yield
    hotline.login_all_agents()


def test_with_no_agent_logged_in_voicemail_is_offered_after_a_short_wait(hotline, nobody_logged_in):
    """Not the queue's 120 s, and not for ever: NO_AGENT_WAIT in 12345, then in its overflow queue."""
    caller = "13800120006"
    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(record=hotline.call(
        "12345", "--from", caller, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "40")))
    citizen.start()
    try:
        wait_for(lambda: citizen_application(hotline, caller) == "Queue", 20, "the caller in the queue", interval=0.2)
        joined = time.monotonic()
        wait_for(lambda: citizen_application(hotline, caller) == "Read", 2 * NO_AGENT_WAIT + 15, "the voicemail offer",
                 interval=0.2)
        offered_after = time.monotonic() - joined
    finally:
        citizen.join(90)
    assert 2 * NO_AGENT_WAIT - 1 <= offered_after <= 2 * NO_AGENT_WAIT + 8, offered_after
    record = result["record"]
    assert record["outcome"] == "abandoned" and record["voicemail"] is None   # it keyed nothing and hung up later


def _parked(hotline) -> dict[str, str]:
    with hotline.pbx_ami() as ami:
        return {e["Key"].rsplit("/", 1)[-1]: e.get("Val", "")
                for e in ami.action_list("DBGetTree", Family="hotline_unrecorded")
                if e.get("Event") == "DBGetTreeResponse"}


def test_python_away_when_the_message_ends_the_message_is_parked_and_becomes_a_ticket_later(hotline):
    """The FastAGI server stops while the citizen speaks: the hangup AGI cannot run, the dialplan parks
    the call's facts with the message's file in AstDB; the jobs make the record, then the ticket."""
    from calls.unrecorded import parse_entry, reconcile
    from db.repositories import calls as call_repo
    from ops.citizen_call import CitizenCall, originate
    from voicemail.jobs import take_pending

    caller = "13800120005"
    prompt = _seconds(hotline, "voicemail-prompt")
    with hotline.carrier_ami() as ami:
        originate(ami, CitizenCall(number="12345", caller=caller, dtmf="8", dtmf_delay=1, speak_delay=prompt + BEEP,
                                   speak=4, hangup_after=1), f"voicemail-{caller}")
    wait_for(lambda: citizen_application(hotline, caller) == "Record", prompt + 20, "the citizen's message recorded",
             interval=0.2)
    hotline.stop_service("agi")
    try:
        wait_for(lambda: citizen_application(hotline, caller) == "", 20, "the end of the call", interval=0.2)
        parked = wait_for(lambda: _parked(hotline), 10, "the call's facts parked in AstDB", interval=0.2)
    finally:
        hotline.start_service("agi")
    assert len(parked) == 1
    (uniqueid, value), = parked.items()
    facts = parse_entry(value)
    assert facts["voicemail"].endswith(f"/{uniqueid}.wav") and Path(facts["voicemail"]).is_file()

    sessions = hotline.session_factory()
    assert reconcile(hotline.settings, sessions) == 1
    with sessions() as s:
        call = call_repo.get_by_uniqueid(s, uniqueid)
        assert call.ended_at is not None and call.outcome.value == "voicemail" and call.voicemail_status is None
    assert take_pending(hotline.settings, sessions) == 1
    assert take_pending(hotline.settings, sessions) == 0          # decided once
    ticket = _ticket_of(hotline, uniqueid)
    assert ticket is not None and ticket.caller_phone == caller and ticket.state == TicketState.intake
    with sessions() as s:
        call = call_repo.get_by_uniqueid(s, uniqueid)
        assert call.voicemail_status == "kept" and call.voicemail_seconds >= 3
        callback = s.scalar(select(Callback).where(Callback.caller == caller))
        assert callback is not None and callback.source == "voicemail"
