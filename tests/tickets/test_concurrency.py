"""Two clerks acting on one ticket at once: one wins, the other gets a clear refusal, nothing is corrupted."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from db.models import TicketEvent, TicketState
from db.repositories import tickets as ticket_repo
from db.session import session_scope
from tests.tickets.conftest import MONDAY, draft
from tickets.errors import IllegalTransition, TicketConflict
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import transition


@pytest.fixture
def dispatched(session_factory, actors, policy):
    """A committed ticket waiting for 签收 at scjgj; returns its number."""
    with session_scope(session_factory) as session:
        ticket = create_ticket(session, draft(), actors["agent"], now=MONDAY)
        transition(session, ticket, Event.dispatch, actors["agent"], params={"department": "scjgj"},
                   now=MONDAY, policy=policy)
        return ticket.number


def accept_events(session_factory, number) -> int:
    with session_factory() as session:
        ticket = ticket_repo.by_number(session, number)
        return session.scalar(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.event == "accept"))


def test_a_form_opened_before_someone_else_acted_is_refused(session_factory, actors, policy, dispatched):
    with session_factory() as first, session_factory() as second:
        stale = ticket_repo.by_number(first, dispatched)
        form_version = stale.version  # what the first clerk's page carries
        transition(second, ticket_repo.by_number(second, dispatched), Event.accept, actors["clerk"], now=MONDAY,
                   policy=policy)
        second.commit()

        # 1. the object in memory is stale: the row version catches it at flush
        with pytest.raises(TicketConflict) as refused:
            transition(first, stale, Event.return_to_center, actors["clerk"], reason="错派", now=MONDAY,
                       policy=policy)
        assert "changed by someone else" in refused.value.message and refused.value.status == 409
        first.rollback()
        # 2. the web way: re-read under the row lock, compare with the page's version
        locked = ticket_repo.for_update(first, dispatched)
        assert locked.state is TicketState.accepted
        with pytest.raises(TicketConflict) as refused:
            transition(first, locked, Event.accept, actors["clerk"], expected_version=form_version, now=MONDAY,
                       policy=policy)
        assert "reload" in refused.value.message
        # 3. without a version the current state decides: accepting twice is illegal
        with pytest.raises(IllegalTransition):
            transition(first, locked, Event.accept, actors["clerk"], now=MONDAY, policy=policy)
    assert accept_events(session_factory, dispatched) == 1


def test_two_clerks_accepting_at_the_same_moment(session_factory, actors, policy, dispatched):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk():
        try:
            with session_scope(session_factory) as session:
                ticket = ticket_repo.by_number(session, dispatched)
                barrier.wait()  # both read version 2, then both try to write
                transition(session, ticket, Event.accept, actors["clerk"], now=MONDAY, policy=policy)
            outcomes.append("accepted")
        except (TicketConflict, IllegalTransition) as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("accepted") == 1 and len(outcomes) == 2, outcomes
    assert accept_events(session_factory, dispatched) == 1
    with session_factory() as session:
        ticket = ticket_repo.by_number(session, dispatched)
        assert ticket.state is TicketState.accepted and ticket.version == 3
