"""Records written late (parked facts) and stale records, on real databases."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from calls.jobs import close_stale_calls
from calls.unrecorded import FIELDS, parse_entry, record
from db.migrate import upgrade
from db.models import Call, CallOutcome
from db.seed import seed
from db.session import make_engine, make_session_factory, session_scope, utcnow


@pytest.fixture
def factory(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed(session)
    yield factory
    engine.dispose()


def _entry(**facts) -> str:
    return "|".join(facts.get(name, "") for name in FIELDS)


def test_parked_facts_of_a_fallback_call_carry_queue_answer_wait_and_talk(factory):
    now = time.time()
    value = _entry(arrived=f"{now - 30:.0f}", ended=f"{now:.3f}", caller="13700000001", dialed="12315",
                   member="PJSIP/agent1002", cause="16", linkedid="x-1", fallback="1", queue="12345",
                   queue_start=f"{now - 25:.3f}", agent_answered=f"{now - 20:.3f}")
    with session_scope(factory) as session:
        record(session, "u-1", parse_entry(value))
    with factory() as session:
        call = session.query(Call).filter_by(uniqueid="u-1").one()
        assert call.outcome == CallOutcome.fallback and call.line.number == "12315"
        assert call.queue_name == "12345" and call.agent.sip_username == "agent1002"
        assert abs(call.wait_seconds - 5) < 0.01 and abs(call.talk_seconds - 20) < 0.01


def test_parked_facts_of_a_call_that_never_queued_have_no_queue_nor_wait(factory):
    now = time.time()
    value = _entry(arrived=f"{now - 8:.0f}", ended=f"{now:.3f}", caller="13700000002", dialed="12333", cause="16")
    with session_scope(factory) as session:
        record(session, "u-2", parse_entry(value))
    with factory() as session:
        call = session.query(Call).filter_by(uniqueid="u-2").one()
        assert call.outcome == CallOutcome.abandoned     # Python had the call: not a fallback
        assert call.queue_name is None and call.wait_seconds is None and call.talk_seconds is None


def test_parked_facts_of_a_caller_who_kept_their_place_say_virtual_hold(factory):
    """The hangup handler failed after the virtual-hold request was made: the late record says so too."""
    now = time.time()
    value = _entry(arrived=f"{now - 40:.0f}", ended=f"{now:.3f}", caller="13700000004", dialed="12345", cause="16",
                   virtual_hold="12")
    with session_scope(factory) as session:
        record(session, "u-4", parse_entry(value))
    with factory() as session:
        call = session.query(Call).filter_by(uniqueid="u-4").one()
        assert call.outcome == CallOutcome.virtual_hold      # 回拨预约, never abandoned
        assert call.queue_name is None and call.wait_seconds is None


def test_an_entry_parked_by_the_old_dialplan_is_still_a_fallback_record(factory):
    old = "1796000000|1796000030|13700000003|12345||PJSIP/agent1001|/rec/x.wav|16|u-3"
    facts = parse_entry(old)
    assert facts["fallback"] == "1"
    with session_scope(factory) as session:
        record(session, "u-3", facts)
    with factory() as session:
        call = session.query(Call).filter_by(uniqueid="u-3").one()
        assert call.outcome == CallOutcome.fallback and call.ended_at > call.arrived_at


def test_a_stale_call_is_marked_unknown_never_given_a_guessed_end(factory, database_url):
    old = utcnow() - dt.timedelta(hours=7)
    with session_scope(factory) as session:
        session.add(Call(uniqueid="gone", arrived_at=old, answered_at=old + dt.timedelta(seconds=9),
                         queue_name="12345"))
        session.add(Call(uniqueid="still-up", arrived_at=old))
        session.add(Call(uniqueid="recent", arrived_at=utcnow()))
    assert close_stale_calls(database_url, still_up={"still-up"}.__contains__) == 1
    assert close_stale_calls(database_url, still_up={"still-up"}.__contains__) == 0     # idempotent
    with factory() as session:
        gone = session.query(Call).filter_by(uniqueid="gone").one()
        assert gone.outcome == CallOutcome.unknown and gone.hangup_cause == "stale"
        assert gone.ended_at is None and gone.talk_seconds is None      # no invented end, no invented talk
        assert session.query(Call).filter_by(uniqueid="still-up").one().outcome is None
        assert session.query(Call).filter_by(uniqueid="recent").one().outcome is None


def test_a_stale_call_gets_its_real_end_from_the_pbx_cdr(factory, database_url, tmp_path):
    from calls.cdr import channel_ends

    old = utcnow() - dt.timedelta(hours=7)
    end = old + dt.timedelta(seconds=95)
    epoch = end.replace(tzinfo=dt.timezone.utc).timestamp()
    cdr = tmp_path / "Master.csv"
    cdr.write_text(f'"talked","{epoch - 50:.6f}","ANSWERED"\n"talked","{epoch:.6f}","ANSWERED"\n'
                   f'"queued","{epoch:.6f}","NO ANSWER"\n"other","0.000000",""\n')
    with session_scope(factory) as session:
        session.add(Call(uniqueid="talked", arrived_at=old, answered_at=old + dt.timedelta(seconds=15)))
        session.add(Call(uniqueid="queued", arrived_at=old, queue_name="12345"))
    assert close_stale_calls(database_url, real_ends=lambda ids: channel_ends(cdr, ids)) == 2
    with factory() as session:
        talked = session.query(Call).filter_by(uniqueid="talked").one()
        assert talked.outcome == CallOutcome.answered and abs((talked.ended_at - end).total_seconds()) < 0.01
        assert abs(talked.talk_seconds - 80) < 0.01
        queued = session.query(Call).filter_by(uniqueid="queued").one()
        assert queued.outcome == CallOutcome.unknown and queued.ended_at is not None   # real end, outcome not guessed
