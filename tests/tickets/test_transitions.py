"""Every legal transition of the declared table, and every illegal event per state, on both databases."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import TicketEvent, TicketState
from tests.tickets.conftest import MONDAY
from tests.tickets.paths import CALLS, PATHS, apply, ticket_in
from tickets.errors import IllegalTransition
from tickets.states import RIGHTS, TRANSITIONS, Event, events_from


def test_every_state_is_reachable_and_every_event_declared():
    assert set(PATHS) == set(TicketState)
    assert set(CALLS) == set(Event) == set(RIGHTS)
    targets = {target for target in TRANSITIONS.values()}
    assert targets | {TicketState.intake} == set(TicketState)
    assert events_from(TicketState.archived) == [] and events_from(TicketState.merged) == []


@pytest.mark.parametrize("state,event", sorted(TRANSITIONS, key=lambda pair: (pair[0], pair[1])),
                         ids=lambda v: str(v))
def test_legal_transition_moves_the_ticket_and_writes_the_audit_row(session, actors, new_ticket, policy,
                                                                    state, event):
    at = MONDAY + dt.timedelta(minutes=30)
    ticket = ticket_in(state, session, actors, new_ticket, policy, MONDAY)
    version = ticket.version
    row = apply(session, ticket, event, actors, new_ticket, at, policy)

    assert ticket.state is TRANSITIONS[(state, event)]
    assert ticket.version == version + 1
    assert (row.event, row.from_state, row.to_state) == (event.value, state, ticket.state)
    assert row.actor == actors[CALLS[event][0]].username and row.at == at
    stored = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                             .order_by(TicketEvent.id)).all()
    assert stored[0].event == "create" and stored[-1].id == row.id
    assert [e.event for e in stored[1:]] == [e.value for e in PATHS[state]] + [event.value]


@pytest.mark.parametrize("state", list(TicketState), ids=str)
def test_illegal_events_are_refused_and_change_nothing(session, actors, new_ticket, policy, state):
    ticket = ticket_in(state, session, actors, new_ticket, policy, MONDAY)
    session.flush()
    version, events = ticket.version, len(ticket.events)
    illegal = [e for e in Event if (state, e) not in TRANSITIONS]
    assert illegal, state
    for event in illegal:
        with pytest.raises(IllegalTransition) as refused:
            apply(session, ticket, event, actors, new_ticket, MONDAY + dt.timedelta(hours=1), policy)
        assert f"cannot {event.value}" in refused.value.message and state.value in refused.value.message
        assert refused.value.status == 409
    session.expire(ticket)
    assert ticket.state is state and ticket.version == version and len(ticket.events) == events
