"""The rules around the transitions: rights, time windows, extension limits, input errors, side effects."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Satisfaction, TicketExtension, TicketNotification, TicketState
from tests.tickets.conftest import MONDAY
from tests.tickets.paths import apply, ticket_in
from tickets import effects
from tickets.errors import InvalidInput, NotAllowed
from tickets.rights import available_events
from tickets.states import Event
from tickets.workflow import transition

S = TicketState


def later(**kw) -> dt.datetime:
    return MONDAY + dt.timedelta(**kw)


@pytest.mark.parametrize("event,actor", [
    (Event.accept, "other_clerk"), (Event.accept, "co_clerk"), (Event.accept, "agent"),
    (Event.reply, "reviewer"), (Event.return_to_center, "supervisor"),
])
def test_only_the_primary_department_acts_as_primary(session, actors, new_ticket, policy, event, actor):
    ticket = ticket_in(S.dispatched if event is not Event.reply else S.accepted, session, actors, new_ticket,
                       policy, MONDAY)
    with pytest.raises(NotAllowed) as refused:
        transition(session, ticket, event, actors[actor], reason="x", params={"reply": "已经处理完毕了"},
                   now=later(hours=1), policy=policy)
    assert refused.value.status == 403


@pytest.mark.parametrize("event,actor", [
    (Event.approve_reply, "agent"), (Event.approve_reply, "clerk"), (Event.approve_reply, "supervisor"),
    (Event.dispatch, "clerk"), (Event.supervise, "agent"), (Event.escalate, "reviewer"), (Event.archive, "agent"),
])
def test_centre_decisions_need_the_centre_role(session, actors, new_ticket, policy, event, actor):
    state = {Event.approve_reply: S.replied, Event.dispatch: S.intake, Event.supervise: S.accepted,
             Event.escalate: S.accepted, Event.archive: S.closed}[event]
    ticket = ticket_in(state, session, actors, new_ticket, policy, MONDAY)
    with pytest.raises(NotAllowed):
        transition(session, ticket, event, actors[actor], reason="x", params={"department": "cgj"},
                   now=later(hours=1), policy=policy)


def test_buttons_offered_match_the_rights(session, actors, new_ticket, policy):
    ticket = ticket_in(S.accepted, session, actors, new_ticket, policy, MONDAY)
    assert available_events(ticket, actors["clerk"]) == [Event.reply, Event.request_extension,
                                                         Event.return_to_center]
    assert available_events(ticket, actors["co_clerk"]) == [Event.co_accept, Event.co_opinion]
    assert available_events(ticket, actors["other_clerk"]) == []
    assert available_events(ticket, actors["reviewer"]) == [Event.redispatch, Event.supervise]


def test_dispatch_sets_deadlines_assignments_and_notifies_after_commit(session, actors, new_ticket, policy):
    sent = effects.RecordingDispatcher()
    effects.bind(session, sent)
    ticket = new_ticket()
    apply(session, ticket, Event.dispatch, actors, new_ticket, MONDAY, policy)
    # Mon 2 March 10:00 Beijing: accept by the end of Tue 3, handle by the end of Mon 9 March, return
    # until the end of Wed 4 (24:00 Beijing = 15:59:59 UTC)
    assert ticket.accept_due_at == dt.datetime(2026, 3, 3, 15, 59, 59)
    assert ticket.handle_due_at == dt.datetime(2026, 3, 9, 15, 59, 59)
    assert ticket.return_due_at == dt.datetime(2026, 3, 4, 15, 59, 59)
    assert [(a.department.code, a.role.value) for a in ticket.assignments] == [("scjgj", "primary"), ("cgj", "co")]
    rows = session.scalars(select(TicketNotification).where(TicketNotification.ticket_id == ticket.id)).all()
    assert {r.department.code for r in rows} == {"scjgj", "cgj"} and "签收" in rows[0].message
    assert sent == []  # nothing leaves before the commit
    session.commit()
    assert sorted(sent) == sorted(("deliver_notification", r.id) for r in rows)


def test_a_rolled_back_transition_tells_nobody(session, actors, new_ticket, policy):
    sent = effects.RecordingDispatcher()
    effects.bind(session, sent)
    ticket = new_ticket()
    apply(session, ticket, Event.dispatch, actors, new_ticket, MONDAY, policy)
    session.rollback()
    session.commit()
    assert sent == []


@pytest.mark.parametrize("department,why", [
    ("nosuchdept", "unknown department 'nosuchdept'"),
    ("city", "whole city"),
    ("hotline", "hotline centre itself"),
])
def test_dispatch_to_a_wrong_department_is_refused_with_the_field(session, actors, new_ticket, policy,
                                                                 department, why):
    ticket = new_ticket()
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.dispatch, actors["agent"], params={"department": department},
                   now=MONDAY, policy=policy)
    assert why in refused.value.fields["department"]
    assert ticket.state is S.intake and ticket.department is None and ticket.assignments == []


def test_dispatch_needs_a_department_and_no_primary_among_co_handlers(session, actors, new_ticket, policy):
    ticket = new_ticket()
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.dispatch, actors["agent"], params={}, now=MONDAY, policy=policy)
    assert refused.value.fields["department"].startswith("required")
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.dispatch, actors["agent"],
                   params={"department": "scjgj", "co_departments": "cgj,scjgj"}, now=MONDAY, policy=policy)
    assert "co-handler" in refused.value.fields["co_departments"]


def test_return_only_within_two_working_days_and_only_once_refused(session, actors, new_ticket, policy):
    ticket = ticket_in(S.dispatched, session, actors, new_ticket, policy, MONDAY)
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.return_to_center, actors["clerk"], now=later(hours=1), policy=policy)
    assert "reason" in refused.value.fields
    assert ticket.return_due_at == dt.datetime(2026, 3, 4, 15, 59, 59)  # Mon → the end of Wed
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.return_to_center, actors["clerk"], reason="不归我们管",
                   now=ticket.return_due_at + dt.timedelta(minutes=1), policy=policy)
    assert "too late" in refused.value.fields["event"]
    apply(session, ticket, Event.return_to_center, actors, new_ticket, later(days=1), policy)
    apply(session, ticket, Event.reject_return, actors, new_ticket, later(days=1, hours=1), policy)
    assert ticket.state is S.dispatched and ticket.department.code == "scjgj"
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.return_to_center, actors["clerk"], reason="还是不归我们管",
                   now=later(days=1, hours=2), policy=policy)
    assert "already refused" in refused.value.fields["event"]


def test_redispatch_moves_the_ticket_to_the_new_department(session, actors, new_ticket, policy):
    ticket = ticket_in(S.returned, session, actors, new_ticket, policy, MONDAY)
    apply(session, ticket, Event.redispatch, actors, new_ticket, later(hours=2), policy)
    assert ticket.department.code == "cgj"
    assert [(a.department.code, a.active) for a in ticket.assignments] == [("scjgj", False), ("cgj", False),
                                                                          ("cgj", True)]
    assert available_events(ticket, actors["clerk"]) == []  # scjgj lost it
    assert Event.accept in available_events(ticket, actors["co_clerk"])


def test_extensions_add_at_most_ten_working_days_and_move_the_deadline(session, actors, new_ticket, policy):
    ticket = ticket_in(S.accepted, session, actors, new_ticket, policy, MONDAY)
    first_due = ticket.handle_due_at
    apply(session, ticket, Event.request_extension, actors, new_ticket, later(hours=1), policy, days=6)
    apply(session, ticket, Event.approve_extension, actors, new_ticket, later(hours=2), policy, days=4)
    assert ticket.extension_days == 4
    # dispatched Mon 2 March 10:01 Beijing; due the end of Mon 9 March; + 4 working days = end of Fri 13
    assert first_due == dt.datetime(2026, 3, 9, 15, 59, 59)
    assert ticket.handle_due_at == dt.datetime(2026, 3, 13, 15, 59, 59)
    request = session.scalars(select(TicketExtension).where(TicketExtension.ticket_id == ticket.id)).one()
    assert (request.days, request.approved, request.granted_days, request.decided_by) == (6, True, 4, "reviewer")
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.request_extension, actors["clerk"], reason="还要检测",
                   params={"days": 7}, now=later(hours=3), policy=policy)
    assert "4 already granted" in refused.value.fields["days"]
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.request_extension, actors["clerk"], reason="还要检测",
                   params={"days": "many"}, now=later(hours=3), policy=policy)
    assert "not a whole number" in refused.value.fields["days"]


def test_no_extension_after_the_deadline_and_a_reply_withdraws_a_pending_one(session, actors, new_ticket, policy):
    ticket = ticket_in(S.accepted, session, actors, new_ticket, policy, MONDAY)
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.request_extension, actors["clerk"], reason="来不及",
                   params={"days": 2}, now=later(days=8), policy=policy)
    assert "has passed" in refused.value.fields["event"]
    apply(session, ticket, Event.request_extension, actors, new_ticket, later(hours=1), policy)
    apply(session, ticket, Event.reply, actors, new_ticket, later(hours=2), policy)
    assert ticket.state is S.replied and ticket.pending_extension is None
    assert ticket.extensions[0].approved is False and "withdrawn" in ticket.extensions[0].decision_note


def test_late_reply_counts_as_overdue(session, actors, new_ticket, policy):
    ticket = ticket_in(S.accepted, session, actors, new_ticket, policy, MONDAY)
    apply(session, ticket, Event.reply, actors, new_ticket, later(days=8), policy)
    assert ticket.overdue is True and ticket.replied_at == later(days=8)


def test_closing_an_unhappy_or_unvisited_ticket_needs_a_reason(session, actors, new_ticket, policy):
    ticket = ticket_in(S.awaiting_visit, session, actors, new_ticket, policy, MONDAY)
    with pytest.raises(InvalidInput):
        transition(session, ticket, Event.close, actors["reviewer"], now=later(hours=1), policy=policy)
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.return_visit, actors["agent"], params={"satisfaction": "happy"},
                   now=later(hours=1), policy=policy)
    assert "one of very_satisfied" in refused.value.fields["satisfaction"]
    apply(session, ticket, Event.return_visit, actors, new_ticket, later(hours=1), policy,
          satisfaction="very_dissatisfied")
    assert ticket.satisfaction is Satisfaction.very_dissatisfied
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.close, actors["reviewer"], now=later(hours=2), policy=policy)
    assert "not satisfied" in refused.value.fields["reason"]
    transition(session, ticket, Event.close, actors["reviewer"], reason="已按政策答复, 诉求超出政策范围",
               now=later(hours=2), policy=policy)
    assert ticket.state is S.closed


def test_reopen_sends_it_back_to_the_department_with_fresh_deadlines(session, actors, new_ticket, policy):
    ticket = ticket_in(S.closed, session, actors, new_ticket, policy, MONDAY)
    apply(session, ticket, Event.reopen, actors, new_ticket, later(days=3), policy)
    assert (ticket.state, ticket.department.code, ticket.reopen_count) == (S.dispatched, "scjgj", 1)
    assert ticket.closed_at is None and ticket.satisfaction is None and ticket.reply is None
    # reopened Thu 5 March 10:00 Beijing: accept by the end of Fri 6
    assert ticket.dispatched_at == later(days=3) and ticket.accept_due_at == dt.datetime(2026, 3, 6, 15, 59, 59)


def test_reopening_a_ticket_resolved_on_the_call_needs_a_department(session, actors, new_ticket, policy):
    ticket = new_ticket()
    apply(session, ticket, Event.resolve_on_call, actors, new_ticket, MONDAY, policy)
    assert ticket.resolved_on_call and ticket.closed_at == MONDAY
    with pytest.raises(InvalidInput) as refused:
        transition(session, ticket, Event.reopen, actors["agent"], reason="没解决", now=later(days=1), policy=policy)
    assert "department" in refused.value.fields
    transition(session, ticket, Event.reopen, actors["agent"], reason="没解决", params={"department": "scjgj"},
               now=later(days=1), policy=policy)
    assert ticket.state is S.dispatched


def test_merge_moves_the_calls_and_notes_it_on_both_tickets(session, actors, new_ticket, policy):
    from db.models import Call

    master, duplicate = new_ticket(), new_ticket()
    duplicate.calls.append(Call(uniqueid=f"merge-{duplicate.number}", caller=duplicate.caller_phone))
    with pytest.raises(InvalidInput) as refused:
        transition(session, duplicate, Event.merge, actors["agent"], params={"into": duplicate.number},
                   now=MONDAY, policy=policy)
    assert "itself" in refused.value.fields["into"]
    with pytest.raises(InvalidInput) as refused:
        transition(session, duplicate, Event.merge, actors["agent"], params={"into": "GD000"}, now=MONDAY,
                   policy=policy)
    assert "no ticket GD000" in refused.value.fields["into"]
    transition(session, duplicate, Event.merge, actors["agent"], params={"into": master.number.lower()},
               reason="同一地址同一事项", now=MONDAY, policy=policy)
    session.flush()
    assert duplicate.merged_into is master and [c.uniqueid for c in master.calls] == [f"merge-{duplicate.number}"]
    assert master.events[-1].event == "merged_in" and duplicate.number in master.events[-1].detail


def test_co_handler_accepts_once_and_gives_an_opinion(session, actors, new_ticket, policy):
    ticket = ticket_in(S.dispatched, session, actors, new_ticket, policy, MONDAY)
    apply(session, ticket, Event.co_accept, actors, new_ticket, later(minutes=5), policy)
    with pytest.raises(InvalidInput):
        apply(session, ticket, Event.co_accept, actors, new_ticket, later(minutes=6), policy)
    apply(session, ticket, Event.co_opinion, actors, new_ticket, later(minutes=7), policy)
    co = ticket.co_assignments[0]
    assert co.accepted_at == later(minutes=5) and co.opinion == "配合开展联合执法"
    note = session.scalars(select(TicketNotification).where(TicketNotification.ticket_id == ticket.id,
                                                            TicketNotification.kind == "co_opinion")).one()
    assert note.department.code == "scjgj"
