"""Intake (受理): one validated way in for every channel, numbered without collisions."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest

from db.models import Call, Line, TicketCategory, TicketChannel, TicketState, TicketUrgency
from db.session import session_scope
from tests.tickets.conftest import MONDAY, draft
from tickets.errors import InvalidInput
from tickets.intake import create_ticket
from tickets.numbering import next_number


def test_a_phone_ticket_links_its_call_and_takes_line_topic_and_place(session, actors):
    line = session.query(Line).filter_by(number="12315").one()
    call = Call(uniqueid="intake-1", caller="13700000001", dialed_number="12315", line=line)
    session.add(call)
    ticket = create_ticket(session, draft(caller_phone="137-0000-0001", district="", category="投诉",
                                          urgency="紧急"),
                           actors["agent"], calls=[call], now=MONDAY)
    assert re.fullmatch(r"GD20260302\d{6}", ticket.number)
    assert ticket.state is TicketState.intake and ticket.version == 1
    assert ticket.calls == [call] and ticket.line is line  # the dialed line comes from the call
    assert ticket.caller_phone == "13700000001"
    assert (ticket.category, ticket.urgency) == (TicketCategory.complaint, TicketUrgency.urgent)
    assert ticket.topic == "市场监管 / 食品安全" and ticket.topic_ref.department.code == "scjgj"
    assert (ticket.district.code, ticket.street.code) == ("lixia", "quanchenglu")  # district from the street
    assert ticket.public_token and len(ticket.public_token) >= 20
    assert [(e.event, e.from_state, e.to_state, e.actor) for e in ticket.events] == [
        ("create", None, "intake", "agent1001")]


def test_every_bad_field_is_reported_at_once_and_nothing_is_written(session, actors):
    before = session.query(Call).count()
    bad = draft(category="gossip", topic="no-such-topic", urgency="whenever", caller_phone="call me",
                caller_email="nobody", line="99999", district="nowhere", street="daminghu",
                latitude="91", longitude="", confidential="perhaps", description="  ", channel="pigeon")
    with pytest.raises(InvalidInput) as refused:
        create_ticket(session, bad, actors["agent"], now=MONDAY)
    fields = refused.value.fields
    assert set(fields) == {"category", "topic", "urgency", "caller_phone", "caller_email", "line", "district",
                           "latitude", "longitude", "confidential", "description", "channel"}
    assert "'gossip' is not one of" in fields["category"]
    assert fields["topic"] == "unknown topic 'no-such-topic'"
    assert fields["latitude"] == "must be between -90 and 90"
    assert fields["longitude"] == "required with the other coordinate"
    assert fields["description"].startswith("required")
    assert refused.value.status == 400 and "invalid input" in refused.value.message
    assert session.query(Call).count() == before


def test_street_must_lie_in_the_district(session, actors):
    with pytest.raises(InvalidInput) as refused:
        create_ticket(session, draft(district="shizhong", street="quanchenglu"), actors["agent"], now=MONDAY)
    assert refused.value.fields == {"street": "quanchenglu is not in district shizhong"}


def test_web_channel_with_coordinates_and_confidentiality(session, actors):
    ticket = create_ticket(session, draft(channel="wechat", latitude="36.6683", longitude=117.0204,
                                          confidential="true", caller_email="a@b.cn"), actors["agent"], now=MONDAY)
    assert ticket.channel is TicketChannel.wechat and ticket.confidential is True
    assert (ticket.latitude, ticket.longitude) == (36.6683, 117.0204)


def test_numbers_count_per_local_day(session):
    day = dt.date(2031, 5, 1)
    first, second = next_number(session, day), next_number(session, day)
    assert (first, second) == ("GD20310501000001", "GD20310501000002")
    assert next_number(session, day + dt.timedelta(days=1)) == "GD20310502000001"


def test_number_day_is_the_centres_local_day(session, actors):
    # 17:00 UTC on 2 March is 01:00 on 3 March in Jinan
    ticket = create_ticket(session, draft(), actors["agent"], now=dt.datetime(2026, 3, 2, 17, 0))
    assert ticket.number.startswith("GD20260303")


def test_concurrent_numbering_never_collides(session_factory):
    numbers: list[str] = []
    day = dt.date(2032, 1, 1)
    barrier = threading.Barrier(4)

    def take():
        barrier.wait()
        for _ in range(5):
            with session_scope(session_factory) as session:
                numbers.append(next_number(session, day))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(numbers) == [f"GD20320101{n:06d}" for n in range(1, 21)]


def test_every_new_ticket_gets_a_four_digit_query_code(session, actors):
    # 查询码: told to the citizen, keyed on the phone to hear a confidential ticket's progress
    codes = {create_ticket(session, draft(confidential="1"), actors["agent"], now=MONDAY).query_code
             for _ in range(5)}
    assert all(re.fullmatch(r"\d{4}", code) for code in codes)
