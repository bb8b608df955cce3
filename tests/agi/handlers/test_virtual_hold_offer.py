"""Virtual hold through the real FastAGI server: offered on a slow queue (to a withheld number key 2 only),
the keyed number checked, the request made for the number chosen."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from agi.handlers import HANDLERS
from db.models import Call, Callback, CallOutcome
from db.session import utcnow
from hotline.dialplan import VHOLD_CHECKED, VHOLD_ID, VHOLD_OFFER


@pytest.fixture
def slow_queue(session_factory):
    """Three calls of queue 12345 answered after 100 s each, just now."""
    with session_factory() as s:
        now = utcnow()
        for i in range(3):
            s.add(Call(uniqueid=f"slow-{i}", caller="13800000000", queue_name="12345", arrived_at=now,
                       answered_at=now, wait_seconds=100.0, outcome=CallOutcome.answered, ended_at=now))
        s.commit()


@pytest.mark.parametrize("caller, threshold, offered", [
    ("13800138000", "60", "1"),       # position 2 × 100 s > 60 s
    ("13800138000", "300", ""),       # 200 s expected: under this threshold
    ("13800138000", "0", ""),         # 0: offers off
    ("anonymous", "60", "2"),         # withheld: offered key 2 only (a keyed number), never key 1
    ("unknown", "60", "2"),
    ("anonymous", "300", ""),
])
def test_offer_decision(start_server, place_call, slow_queue, caller, threshold, offered):
    server = start_server(HANDLERS)
    ch = place_call(server, "vhold_offer", ["12345", "2", threshold], env={"agi_callerid": caller})
    assert ch.variables.get(VHOLD_OFFER, "") == offered


@pytest.mark.parametrize("keyed, checked", [
    ("13912345678", "13912345678"),
    ("01012345678#", "01012345678"),
    ("62345678", ""),                 # no area code: the caller is asked again, then keeps waiting
    ("1391234567", ""),
    ("", ""),
])
def test_the_keyed_number_is_checked(start_server, place_call, keyed, checked):
    server = start_server(HANDLERS)
    ch = place_call(server, "vhold_number", [keyed], variables={VHOLD_CHECKED: "stale"})
    assert ch.variables[VHOLD_CHECKED] == checked


def _waiting_call(session_factory, uniqueid: str, caller: str) -> None:
    with session_factory() as s:
        s.add(Call(uniqueid=uniqueid, caller=caller, dialed_number="12345", arrived_at=utcnow()))
        s.commit()


@pytest.mark.parametrize("caller, keyed, called_back", [
    ("13800138001", "13800138001", "13800138001"),    # key 1: the number on the call
    ("13800138002", "13912345678", "13912345678"),    # key 2: the keyed one
    ("anonymous", "01012345678", "01012345678"),      # a withheld caller keyed a number
])
def test_the_request_calls_back_the_number_chosen(start_server, place_call, session_factory, caller, keyed,
                                                  called_back):
    uniqueid = f"vh-req-{caller}"
    _waiting_call(session_factory, uniqueid, caller)
    server = start_server(HANDLERS)
    ch = place_call(server, "vhold_request", ["12345", keyed],
                    env={"agi_callerid": caller, "agi_uniqueid": uniqueid})
    with session_factory() as s:
        callback = s.scalar(select(Callback).where(Callback.caller == called_back))
        assert callback is not None and ch.variables[VHOLD_ID] == str(callback.id)
        assert [c.uniqueid for c in callback.calls] == [uniqueid]


@pytest.mark.parametrize("caller, keyed", [
    ("anonymous", ""),                # a withheld number and nothing keyed: nobody to call back
    ("13800138003", "62345678"),      # a wrong number that got past the dialplan
])
def test_no_request_without_a_number_to_call_back_the_caller_waits(start_server, place_call, session_factory,
                                                                  caller, keyed):
    uniqueid = f"vh-none-{caller}"
    _waiting_call(session_factory, uniqueid, caller)
    server = start_server(HANDLERS)
    ch = place_call(server, "vhold_request", ["12345", keyed],
                    env={"agi_callerid": caller, "agi_uniqueid": uniqueid})
    assert VHOLD_ID not in ch.variables
    with session_factory() as s:
        assert s.scalars(select(Callback)).all() == []


def test_a_caller_who_kept_their_place_ends_as_virtual_hold_never_abandoned(start_server, place_call,
                                                                         session_factory):
    """The request made, the citizen hangs up: outcome virtual_hold (回拨预约), no queue, no wait; and never
    on the missed-call list a second time."""
    from callbacks.collect import collect_missed_calls
    from db.repositories import calls as call_repo
    from hotline.config import current_settings

    uniqueid = "vh-kept"
    _waiting_call(session_factory, uniqueid, "13800138009")
    server = start_server(HANDLERS)
    request = place_call(server, "vhold_request", ["12345", ""], env={"agi_callerid": "13800138009",
                                                                     "agi_uniqueid": uniqueid})
    # hangup facts: HANGUPCAUSE … recording (16 of them, no queue start: never queued), then the request
    facts = ["16"] + [""] * 15 + [request.variables[VHOLD_ID]]
    place_call(server, "hangup", facts, env={"agi_callerid": "13800138009", "agi_uniqueid": uniqueid})
    with session_factory() as s:
        call = call_repo.get_by_uniqueid(s, uniqueid)
        assert call.outcome == CallOutcome.virtual_hold and call.ended_at is not None
        assert call.queue_name is None and call.wait_seconds is None
        assert collect_missed_calls(s, current_settings()) == []
        assert len(s.scalars(select(Callback)).all()) == 1
