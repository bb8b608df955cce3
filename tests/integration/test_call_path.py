"""The foundation's promise: a real SIP call reaches Python and is recorded in the database."""
from __future__ import annotations

import time

import pytest

from db.repositories import calls as call_repo
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


def test_ami_login_and_the_rendered_queues(hotline):
    with hotline.pbx_ami() as ami:
        assert ami.action("Ping")["Response"] == "Success"
        params = [e for e in ami.action_list("QueueStatus") if e["Event"] == "QueueParams"]
    assert {p["Queue"] for p in params} >= {"12345", "english", "overflow"}


def test_call_to_12345_reaches_python_and_an_agent(hotline):
    # "1" during the short greeting-menu: straight to an agent
    record = hotline.call("12345", "--from", "13800000001", "--dtmf", "1", "--dtmf-delay", "1",
                          "--hangup-after", "3")

    assert record["dialed_number"] == "12345"
    assert record["caller"] == "13800000001"
    assert record["line"] == {"number": "12345", "name": record["line"]["name"], "mode": "main"}
    assert record["queue"] == "12345" and record["ivr_path"] == "1"
    assert record["outcome"] == "answered"
    assert record["agent"]["number"] in {"1001", "1002", "1003"}
    assert 0.9 <= record["wait_seconds"] < 2.5         # the simulated softphone rings 1 s
    # --hangup-after counts from the key: waiting in the queue + talking ≈ 3 s
    assert abs(record["wait_seconds"] + record["talk_seconds"] - 3.0) < 0.7
    assert record["uniqueid"] and record["trace_id"]
    # the same facts are in the database, not only in the command's output
    with hotline.session_factory()() as session:
        row = call_repo.get_by_uniqueid(session, record["uniqueid"])
        assert row is not None and row.ended_at is not None and row.agent.number == record["agent"]["number"]
    assert f"[{record['uniqueid']}] dialed 12345" in hotline.agi_log()


def test_recording_is_written_for_the_answered_part(hotline):
    import wave
    from pathlib import Path

    record = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "3")
    path = Path(record["recording_file"])
    wait_for(path.exists, 5, f"the recording {path}", interval=0.1)
    with wave.open(str(path)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert w.getframerate() == 8000
    assert abs(seconds - record["talk_seconds"]) < 1.0


def test_old_department_number_is_tagged_with_its_line_and_department(hotline):
    record = hotline.call("12315", "--hangup-after", "8")   # after its ~4 s greeting
    assert record["line"]["mode"] == "dual"
    assert record["department"]["code"] == "scjgj"
    assert record["outcome"] == "answered"


def test_unconfigured_number_takes_the_plain_12345_flow(hotline):
    mark = len(hotline.agi_log())
    record = hotline.call("99999999", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "2")
    assert record["line"] is None and record["department"] is None
    assert record["queue"] == "12345"
    assert record["outcome"] == "answered"
    assert "99999999 is not a configured line" in hotline.agi_log()[mark:]


def test_nobody_answers_the_caller_hangs_up_abandoned(hotline):
    for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
        hotline.set_softphone(agent, "noanswer")
    record = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "3")
    assert record["outcome"] == "abandoned"
    assert record["agent"] is None and record["talk_seconds"] is None
    assert 2.5 <= record["wait_seconds"] < 4     # from joining the queue to hanging up


def test_without_python_the_call_still_reaches_a_human(hotline):
    """FastAGI down → AGISTATUS=FAILURE → the dialplan's fallback queue; the call is parked in AstDB,
    recorded with outcome "fallback" once Python is back; and routing is normal again."""
    from calls.unrecorded import reconcile
    from ops.citizen_call import CitizenCall, originate

    hotline.stop_service("agi")
    try:
        with hotline.carrier_ami() as ami:
            action_id = originate(ami, CitizenCall(number="12315", caller="13600000009", hangup_after=3),
                                  "fallback-test")
            answered = ami.wait_event(lambda m: m.get("Event") == "OriginateResponse"
                                      and m.get("ActionID") == action_id, 20)
            assert answered and answered["Response"] == "Success"
            # an agent's softphone (on the carrier box) picks the call up
            pickup = ami.wait_event(lambda m: m.get("Event") == "Newexten" and m.get("Context") == "softphone"
                                    and m.get("Application") == "Answer", 15)
            assert pickup is not None, "no agent answered the fallback call"
            ended = ami.wait_event(lambda m: m.get("Event") == "Hangup"
                                   and m.get("Channel", "").startswith("PJSIP/hotline"), 15)
            assert ended is not None
        with hotline.pbx_ami() as ami:
            wait_for(lambda: ami.action_list("DBGetTree", Family="hotline_unrecorded"), 5,
                     "the call's facts parked in AstDB", interval=0.1)
    finally:
        hotline.start_service("agi")

    assert reconcile(hotline.settings, hotline.session_factory()) == 1
    assert reconcile(hotline.settings, hotline.session_factory()) == 0     # idempotent: AstDB entry gone
    with hotline.session_factory()() as session:
        from db.models import Call

        call = session.query(Call).filter_by(caller="13600000009").one()
        assert call.outcome == "fallback" and call.dialed_number == "12315"
        assert call.line.number == "12315" and call.agent is not None
        assert call.ended_at > call.arrived_at and call.recording_file

    record = hotline.call("12315", "--hangup-after", "8")   # after its ~4 s greeting
    assert record["outcome"] == "answered" and record["line"]["mode"] == "dual"


def test_a_frozen_fastagi_server_is_restarted_and_its_caller_reaches_a_human(hotline):
    """FastAGI frozen (SIGSTOP: it accepts connections and never answers; a deadlock looks the same to
    Asterisk, whose AGI() has no timeout): the watchdog (ops/agi_watchdog.py, run by
    supervisord) kills it within seconds, the caller's AGI() fails and the dialplan's fallback queue
    takes the call; supervisord starts a new server."""
    import os
    import signal

    from ops import services
    from ops.citizen_call import CitizenCall, originate

    frozen = services.pid_of(hotline.settings, "agi")
    os.kill(frozen, signal.SIGSTOP)
    try:
        with hotline.carrier_ami() as ami:
            # the trace id comes from outside (a SIP header): the PBX keeps only letters, digits and -._
            originate(ami, CitizenCall(number="12315", caller="13600000019", hangup_after=20),
                      "frozen-agi.test_${SHELL(echo x)}")
            pickup = ami.wait_event(lambda m: m.get("Event") == "Newexten" and m.get("Context") == "softphone"
                                    and m.get("Application") == "Answer", 30)
            assert pickup is not None, "the caller of a frozen FastAGI server never reached an agent"
            ended = ami.wait_event(lambda m: m.get("Event") == "Hangup"
                                   and m.get("Channel", "").startswith("PJSIP/hotline"), 25)
            assert ended is not None
    finally:
        try:
            os.kill(frozen, signal.SIGCONT)
        except ProcessLookupError:
            pass
    restarted = wait_for(lambda: (pid := services.pid_of(hotline.settings, "agi")) not in (None, frozen)
                         and services.agi_answers(hotline.settings.ports.agi) and pid, 20,
                         "a new FastAGI server", interval=0.2)
    assert restarted != frozen
    from calls.unrecorded import reconcile
    from db.models import Call

    def recorded():
        reconcile(hotline.settings, hotline.session_factory())   # in case the hang-up came before the restart
        with hotline.session_factory()() as session:
            return session.query(Call).filter_by(caller="13600000019").one_or_none()

    call = wait_for(recorded, 20, "the call record of the frozen server's caller", interval=0.5)
    assert call.outcome == "fallback" and call.agent_id is not None and call.ended_at is not None
    assert call.trace_id == "frozen-agi.test_SHELLechox"
    assert call.dialed_number == "12315" and call.line_id is not None and call.recording_file
    record = hotline.call("12315", "--hangup-after", "8")
    assert record["outcome"] == "answered"


def test_a_long_wait_overflows_to_the_second_queue(hotline):
    """12345's maximum wait reached → the overflow queue (溢出); a caller who gives up there counts there."""
    from agi import config_snapshot
    from db.models import Queue

    with hotline.session_factory()() as session:
        session.query(Queue).filter_by(name="12345").one().max_wait_seconds = 2
        session.commit()
    time.sleep(config_snapshot.TTL + 0.2)
    for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
        hotline.set_softphone(agent, "noanswer")
    try:
        record = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "6")
    finally:
        with hotline.session_factory()() as session:
            session.query(Queue).filter_by(name="12345").one().max_wait_seconds = 120
            session.commit()
        time.sleep(config_snapshot.TTL + 0.2)
    assert record["outcome"] == "abandoned" and record["queue"] == "overflow"
    assert 5 <= record["wait_seconds"] < 7      # the whole wait, both queues
