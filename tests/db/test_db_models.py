"""Model behaviour that the database must enforce, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from db.models import (
    Agent,
    Call,
    CallOutcome,
    Department,
    DepartmentKind,
    Line,
    LineMode,
    Queue,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketUrgency,
)
from db.session import session_scope, utcnow


def make_ticket(number: str = "GD20261122000001") -> Ticket:
    return Ticket(number=number, category=TicketCategory.complaint, description="路灯不亮")


@pytest.mark.parametrize(
    "make_pair",
    [
        lambda: [Department(code="lixia", name="历下区", kind="district") for _ in range(2)],
        lambda: [Line(number="12319", name="城管", mode="dual") for _ in range(2)],
        lambda: [Queue(name="12345", display_name="12345") for _ in range(2)],
        lambda: [Agent(number="1001", name="甲", sip_username=f"agent{n}") for n in (1, 2)],
        lambda: [Agent(number=f"100{n}", name="甲", sip_username="agent1001") for n in (1, 2)],
        lambda: [Call(uniqueid="1700000000.1") for _ in range(2)],
        lambda: [make_ticket("GD1") for _ in range(2)],
    ],
    ids=["department.code", "line.number", "queue.name", "agent.number",
         "agent.sip_username", "call.uniqueid", "ticket.number"],
)
def test_unique_keys_are_enforced(session, make_pair):
    first, second = make_pair()
    session.add(first)
    session.commit()
    session.add(second)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_foreign_keys_are_enforced(session):
    session.add(Call(uniqueid="1700000000.2", line_id=999_999))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_unknown_enum_values_are_rejected(session):
    session.add(Line(number="12399", name="?", mode="teleport"))
    with pytest.raises((StatementError, LookupError)):
        session.flush()
    session.rollback()


def test_call_defaults(session):
    call = Call(uniqueid="1700000000.3")
    session.add(call)
    session.commit()
    session.expire_all()
    call = session.scalar(select(Call).where(Call.uniqueid == "1700000000.3"))
    assert call.outcome is None  # still in progress
    assert call.language == "zh"
    assert call.ivr_path == ""
    assert call.caller == "" and call.dialed_number == ""
    assert call.arrived_at.tzinfo is None
    assert abs(call.arrived_at - utcnow()) < dt.timedelta(minutes=1)
    assert call.answered_at is call.ended_at is call.agent_id is None


def test_enums_come_back_as_python_enums(session):
    department = Department(code="scjgj", name="市场监管局", kind=DepartmentKind.bureau)
    line = Line(number="12315", name="12315", mode="dual", department=department)
    session.add_all([line, Call(uniqueid="e.1", line=line, line_mode=line.mode,
                                outcome=CallOutcome.answered)])
    session.commit()
    session.expire_all()
    call = session.scalar(select(Call))
    assert call.line_mode is LineMode.dual and call.line_mode == "dual"
    assert call.outcome is CallOutcome.answered
    assert call.line.department.kind is DepartmentKind.bureau


def test_ticket_defaults_links_calls_and_keeps_its_history(session):
    call = Call(uniqueid="1700000000.4", caller="13800000000")
    ticket = make_ticket()
    ticket.calls.append(call)
    ticket.events.append(TicketEvent(actor="agent1001", event="intake", to_state="intake"))
    session.add(ticket)
    session.commit()
    session.expire_all()
    ticket = session.scalar(select(Ticket))
    assert (ticket.channel, ticket.urgency, ticket.state) == (
        TicketChannel.phone, TicketUrgency.normal, "intake")
    assert ticket.confidential is False
    assert ticket.version == 1
    assert [c.uniqueid for c in ticket.calls] == ["1700000000.4"]
    assert ticket.calls[0].tickets == [ticket]
    history = [(e.event, e.from_state, e.to_state) for e in ticket.events]
    assert history == [("intake", None, "intake")]


def test_ticket_concurrent_update_raises_stale_data(session_factory):
    with session_scope(session_factory) as session:
        session.add(make_ticket())
    agent_view = session_factory()
    department_view = session_factory()
    try:
        by_agent = agent_view.scalar(select(Ticket))
        by_department = department_view.scalar(select(Ticket))
        by_agent.topic = "路灯"
        agent_view.commit()
        assert by_agent.version == 2
        by_department.state = "accepted"
        with pytest.raises(StaleDataError):
            department_view.commit()
    finally:
        agent_view.close()
        department_view.close()


def test_deleting_a_ticket_removes_its_links_but_keeps_the_call(session):
    call = Call(uniqueid="1700000000.5")
    ticket = make_ticket()
    ticket.calls.append(call)
    session.add(ticket)
    session.commit()
    session.delete(ticket)
    session.commit()
    assert session.scalar(select(Call.uniqueid)) == "1700000000.5"
