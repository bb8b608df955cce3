"""Real calls to the phone progress query (工单查询, key 2 on the 12345 menu), DTMF from `hotline call --dtmf`.

Each test writes its own tickets (numbers of its own), calls, and reads the call record and
the ticket_queries rows: what was queried, whether it was read out, and where the call ended.
"""
from __future__ import annotations

import datetime as dt

import pytest

from db.models import TicketState
from tests.support.progress_tickets import add_ticket, queries_of

pytestmark = pytest.mark.asterisk

DUE = dt.datetime(2026, 12, 18, 9, 30)     # UTC; 17:30 on 18 December in the centre
W = "w" * 4                                # 2 s: the progress AGI answers the menu's key


def test_own_number_hears_its_open_and_recently_answered_tickets_and_is_self_served(hotline):
    caller = "13800001001"
    add_ticket(hotline.session_factory(), "GD20261130900101", caller_phone=caller, state=TicketState.accepted,
               department_code="rsj", due=DUE)
    add_ticket(hotline.session_factory(), "GD20261129900102", caller_phone=caller, state=TicketState.replied,
               department_code="rsj", replied_at=dt.datetime.utcnow() - dt.timedelta(days=1), age_days=9)
    add_ticket(hotline.session_factory(), "GD20261001900103", caller_phone=caller, state=TicketState.closed,
               replied_at=dt.datetime(2026, 10, 2), age_days=60)   # answered long ago: not read
    # "2" interrupts the menu; both tickets are read (~25 s); the caller hangs up at the "1 / 0" question
    record = hotline.call("12345", "--from", caller, "--dtmf", "2", "--dtmf-delay", "1", "--hangup-after", "32")
    assert record["ivr_path"] == "2"
    assert record["outcome"] == "self_served" and record["agent"] is None
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [
        ("GD20261130900101", "caller_id", True), ("GD20261129900102", "caller_id", True)]


def test_withheld_number_keys_the_ticket_number_then_asks_for_an_agent(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900201", caller_phone="13800001002",
               state=TicketState.dispatched, department_code="rsj", due=DUE)
    # a withheld number is never matched: it is asked for the number at once; then "0" → an agent
    record = hotline.call("12345", "--from", "anonymous", "--dtmf", f"2{W}20261130900201#{'w' * 36}0",
                          "--dtmf-delay", "1", "--hangup-after", "8")
    assert record["ivr_path"] == "2"
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900201", "keyed", True)]
    assert record["outcome"] == "answered" and record["queue"] == "12345" and record["agent"] is not None


def test_confidential_ticket_is_read_after_its_query_code(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900301", caller_phone="13800001003",
               state=TicketState.accepted, department_code="rsj", due=DUE, confidential=True, query_code="4821")
    record = hotline.call("12345", "--from", "13900001003", "--dtmf", f"2{W}{W}{W}20261130900301#{W}4821#",
                          "--dtmf-delay", "1", "--hangup-after", "19")
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900301", "keyed", True)]
    assert record["outcome"] == "self_served"


def test_confidential_ticket_without_its_code_is_not_read_and_an_agent_answers(hotline):
    add_ticket(hotline.session_factory(), "GD20261130900401", caller_phone="13800001004",
               state=TicketState.accepted, department_code="rsj", due=DUE, confidential=True, query_code="4821")
    record = hotline.call("12345", "--from", "13900001004",
                          "--dtmf", f"2{W}{W}{W}20261130900401#{W}1111#{W}{W}2222#", "--dtmf-delay", "1",
                          "--hangup-after", "10")
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == [("GD20261130900401", "keyed", False)]
    assert record["outcome"] == "answered" and record["agent"] is not None


def test_wrong_digits_get_one_retry_then_an_agent(hotline):
    record = hotline.call("12345", "--from", "anonymous", "--dtmf", f"2{W}123#{W}{W}{W}20261130999999#",
                          "--dtmf-delay", "1", "--hangup-after", "10")
    assert record["ivr_path"] == "2"
    assert queries_of(hotline.session_factory(), record["uniqueid"]) == []
    assert record["outcome"] == "answered" and record["queue"] == "12345" and record["agent"] is not None
