"""回访 rules: the request an approved reply makes, who is never called, the phone's questions, the
answer through the workflow (close / reopen), and the one dialer's attempts of a return visit."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from callbacks import rules
from callbacks.dialer import claim, finish
from db.models import (
    AttemptOutcome,
    Purpose,
    ReturnVisit,
    ReturnVisitStatus,
    Satisfaction,
    TicketEvent,
    TicketNotification,
    TicketState,
    VisitAnswer,
)
from tests.tickets.conftest import MONDAY
from tests.tickets.paths import PATHS, apply
from tickets import visit_answers
from tickets.return_visits import for_a_human_query
from tickets.states import Event as E
from tickets.workflow import transition

ALWAYS = rules.Window.parse("00:00-24:00", "Asia/Shanghai")


@pytest.fixture
def awaiting(session, actors, new_ticket, policy):
    """A ticket whose reply the centre approved (→ 待回访), and its return-visit request."""
    def make(**overrides):
        ticket = new_ticket(**overrides)
        for event in PATHS[TicketState.awaiting_visit]:
            apply(session, ticket, event, actors, new_ticket, MONDAY, policy)
        session.flush()
        return ticket, session.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id))
    return make


def test_an_approved_reply_makes_a_return_visit_request(awaiting):
    ticket, visit = awaiting()
    assert ticket.state is TicketState.awaiting_visit
    assert visit.status is ReturnVisitStatus.pending and visit.phone == ticket.caller_phone
    assert visit.next_attempt_at == MONDAY and visit.round == 0 and visit.note is None


@pytest.mark.parametrize("overrides, why", [({"confidential": True}, "保密"), ({"do_not_call": "1"}, "不接受回访")])
def test_confidential_tickets_and_citizens_who_opted_out_are_never_called(session, awaiting, overrides, why):
    ticket, visit = awaiting(**overrides)
    assert visit.status is ReturnVisitStatus.not_called and why in visit.note and visit.next_attempt_at is None
    session.commit()
    assert claim(session, visit.id, by="worker", concurrency=4, now=MONDAY, purpose=Purpose.return_visit) is None
    assert visit in session.scalars(for_a_human_query(MONDAY)).all()
    assert session.scalar(select(TicketEvent.detail).where(TicketEvent.ticket_id == ticket.id,
                                                           TicketEvent.event == "approve_reply")).startswith("回访: ")


def test_a_ticket_made_confidential_after_the_approval_is_not_dialed(session, awaiting):
    ticket, visit = awaiting()
    ticket.confidential = True
    session.commit()
    assert claim(session, visit.id, by="worker", concurrency=4, now=MONDAY, purpose=Purpose.return_visit) is None
    session.refresh(visit)
    assert visit.status is ReturnVisitStatus.not_called and visit.attempts == []


def test_no_number_is_for_a_human(awaiting):
    _, visit = awaiting(caller_phone=None)
    assert visit.status is ReturnVisitStatus.undialable


def test_a_ticket_visited_by_hand_first_is_not_dialed(session, actors, awaiting):
    ticket, visit = awaiting()
    transition(session, ticket, E.return_visit, actors["agent"], params={"satisfaction": "satisfied"})
    session.commit()
    assert claim(session, visit.id, by="worker", concurrency=4, now=MONDAY, purpose=Purpose.return_visit) is None
    session.refresh(visit)
    assert visit.status is ReturnVisitStatus.superseded


def test_three_unanswered_attempts_put_the_ticket_on_the_human_list_not_closed(session, awaiting):
    ticket, visit = awaiting()
    session.commit()
    now = MONDAY
    for number in (1, 2, 3):
        attempt = claim(session, visit.id, by="worker", concurrency=4, now=now, purpose=Purpose.return_visit)
        assert attempt.number == number and attempt.channel_id == f"rv-{visit.id}-{number}"
        assert attempt.purpose is Purpose.return_visit and attempt.callback_id is None
        finish(session, attempt, AttemptOutcome.no_answer, window=ALWAYS, now=now)
        session.commit()
        if number < 3:
            assert visit.status is ReturnVisitStatus.pending
            assert visit.next_attempt_at == now + rules.ATTEMPT_SPACING
            now = visit.next_attempt_at
    assert visit.status is ReturnVisitStatus.failed and visit.next_attempt_at is None
    assert claim(session, visit.id, by="worker", concurrency=4, now=now, purpose=Purpose.return_visit) is None
    assert ticket.state is TicketState.awaiting_visit and ticket.satisfaction is None
    assert visit in session.scalars(for_a_human_query(now)).all()


def test_resolved_and_satisfied_closes_the_ticket_with_the_rating(session, awaiting):
    ticket, visit = awaiting()
    assert visit_answers.apply_answer(session, visit, True, VisitAnswer.satisfied, MONDAY) is TicketState.closed
    assert ticket.satisfaction is Satisfaction.satisfied and ticket.visit_resolved is True
    assert ticket.visited_at == ticket.closed_at == MONDAY and visit.status is ReturnVisitStatus.done
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                             .order_by(TicketEvent.id)).all()
    assert [(e.event, e.actor_role) for e in events[-2:]] == [("return_visit", "system"), ("close", "system")]
    assert "已解决, 满意" in events[-1].reason


def test_basically_satisfied_also_closes_but_is_stored_as_said(session, awaiting):
    ticket, visit = awaiting()
    assert visit_answers.apply_answer(session, visit, True, VisitAnswer.basically_satisfied) is TicketState.closed
    assert ticket.satisfaction is Satisfaction.basically_satisfied


@pytest.mark.parametrize("resolved, answer", [(False, VisitAnswer.satisfied), (True, VisitAnswer.dissatisfied)])
def test_unresolved_or_not_satisfied_reopens_it_and_tells_the_centre(session, awaiting, resolved, answer):
    ticket, visit = awaiting()
    department = ticket.department_id
    assert visit_answers.apply_answer(session, visit, resolved, answer) is TicketState.dispatched
    assert ticket.reopen_count == 1 and ticket.department_id == department
    assert ticket.satisfaction is None and ticket.visit_resolved is None   # the citizen's last word comes later
    assert visit.status is ReturnVisitStatus.done and visit.answer is answer and visit.resolved is resolved
    session.flush()
    told = session.scalars(select(TicketNotification).where(TicketNotification.ticket_id == ticket.id,
                                                            TicketNotification.kind == "reopen")).all()
    assert [n.role for n in told] == ["reviewer"]


def test_no_answer_keyed_changes_nothing_on_the_ticket(session, awaiting):
    ticket, visit = awaiting()
    visit.status, visit.reached_at = ReturnVisitStatus.reached, MONDAY
    assert visit_answers.apply_answer(session, visit, True, None) is None
    assert ticket.state is TicketState.awaiting_visit and ticket.satisfaction is None
    assert visit.status is ReturnVisitStatus.no_reply
    session.flush()
    assert visit in session.scalars(for_a_human_query(MONDAY)).all()


def test_an_answered_visit_without_a_result_reaches_the_list_after_a_while(session, awaiting):
    _, visit = awaiting()
    visit.status, visit.reached_at = ReturnVisitStatus.reached, MONDAY
    session.flush()
    assert visit not in session.scalars(for_a_human_query(MONDAY + dt.timedelta(minutes=1))).all()
    assert visit in session.scalars(for_a_human_query(MONDAY + dt.timedelta(minutes=11))).all()


def test_a_reopened_ticket_gets_a_new_request_after_its_next_approval(session, actors, new_ticket, policy, awaiting):
    ticket, first = awaiting()
    visit_answers.apply_answer(session, first, False, VisitAnswer.dissatisfied)
    for event in (E.accept, E.reply, E.approve_reply):
        apply(session, ticket, event, actors, new_ticket, MONDAY, policy)
    session.flush()
    rounds = session.scalars(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id)
                             .order_by(ReturnVisit.round)).all()
    assert [(v.round, v.status) for v in rounds] == [(0, ReturnVisitStatus.done), (1, ReturnVisitStatus.pending)]


class Phone:
    """The citizen on a fake channel: each play/wait returns the next key (or "" for silence)."""

    def __init__(self, *keys):
        self.keys, self.played = list(keys), []

    def play(self, prompt, escape_digits=""):
        self.played.append(prompt)
        return self.keys.pop(0) if escape_digits and self.keys else ""

    def wait_digit(self, timeout_s):
        return self.keys.pop(0) if self.keys else ""


def test_the_questions_one_retry_on_a_wrong_key_silence_is_no_answer():
    assert visit_answers.ask(Phone("1", "2")) == (True, VisitAnswer.basically_satisfied)
    phone = Phone("9", "2", "7", "3")
    assert visit_answers.ask(phone) == (False, VisitAnswer.dissatisfied)
    assert phone.played.count("visit-retry") == 2 and phone.played[-1] == "visit-thanks"
    assert visit_answers.ask(Phone("9", "9")) == (None, None)          # two wrong keys: no answer
    assert visit_answers.ask(Phone()) == (None, None)                  # silence
    assert visit_answers.ask(Phone("1")) == (True, None)               # hung up or silent at the second


class HangsUp(Exception):
    pass


def test_a_hang_up_after_the_first_answer_keeps_it(session, awaiting):
    class GoneAfterOneKey(Phone):
        def play(self, prompt, escape_digits=""):
            if prompt == visit_answers.PROMPT_SATISFACTION:
                raise HangsUp        # the AGI channel raises AGIHangup here
            return super().play(prompt, escape_digits)

    reply = visit_answers.VisitReply()
    with pytest.raises(HangsUp):
        visit_answers.ask(GoneAfterOneKey("2"), reply)
    assert (reply.resolved, reply.answer) == (False, None)
    ticket, visit = awaiting()
    visit.status, visit.reached_at = ReturnVisitStatus.reached, MONDAY
    assert visit_answers.apply_answer(session, visit, reply.resolved, reply.answer) is None
    assert visit.resolved is False and visit.status is ReturnVisitStatus.no_reply and "未解决" in visit.note
    assert ticket.state is TicketState.awaiting_visit and ticket.satisfaction is None   # never rated for the citizen
