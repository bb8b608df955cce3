"""Which tickets a caller may hear by phone (工单查询), and what is said about each."""
from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from db.models import Call, Department, Ticket, TicketCategory, TicketState
from selfservice import progress
from selfservice.progress import Say

NOW = dt.datetime(2026, 12, 1, 8, 0)
_numbers = itertools.count(1)


def ticket(session, *, phone="13800009999", state=TicketState.accepted, age_days=2, confidential=False,
           code=None, replied_at=None, due=None, department="rsj") -> Ticket:
    t = Ticket(number=f"GD20261130{800000 + next(_numbers):06d}", caller_phone=phone, category=TicketCategory.help,
               state=state, confidential=confidential, query_code=code, replied_at=replied_at, handle_due_at=due,
               department=session.scalar(select(Department).where(Department.code == department)),
               created_at=NOW - dt.timedelta(days=age_days), updated_at=NOW, description="")
    session.add(t)
    session.flush()
    return t


def test_own_tickets_are_open_or_recently_answered_newest_first(session):
    phone = "13800000001"
    old_open = ticket(session, phone=phone, age_days=40)
    new_open = ticket(session, phone=phone, age_days=1)
    answered = ticket(session, phone=phone, state=TicketState.closed, replied_at=NOW - dt.timedelta(days=3))
    ticket(session, phone=phone, state=TicketState.closed, replied_at=NOW - dt.timedelta(days=45), age_days=50)
    ticket(session, phone=phone, state=TicketState.merged)
    ticket(session, phone="13800000002")
    assert progress.own_tickets(session, phone, NOW) == [new_open, answered, old_open]


def test_a_withheld_number_owns_nothing_even_when_tickets_carry_it(session):
    ticket(session, phone="anonymous")
    assert progress.own_tickets(session, "anonymous", NOW) == []
    assert progress.own_tickets(session, "", NOW) == []


def test_a_ticket_is_found_by_its_fourteen_digits_only(session):
    t = ticket(session)
    assert progress.keyed_ticket(session, t.number[2:]) == t
    assert progress.keyed_ticket(session, t.number[2:] + "#") == t
    assert progress.keyed_ticket(session, t.number[3:]) is None        # 13 digits
    assert progress.keyed_ticket(session, "") is None
    assert progress.keyed_ticket(session, "20991231000001") is None   # no such ticket


def test_a_confidential_ticket_needs_its_code_except_from_its_own_number(session):
    t = ticket(session, phone="13800000003", confidential=True, code="4821")
    assert not progress.needs_code(t, "13800000003")
    assert progress.needs_code(t, "13900000003")
    assert progress.needs_code(t, "anonymous")
    assert progress.code_matches(t, "4821") and progress.code_matches(t, "4821#")
    assert not progress.code_matches(t, "4822") and not progress.code_matches(t, "")
    without_code = ticket(session, confidential=True, code=None)
    assert not progress.code_matches(without_code, "")


def test_own_number_also_by_a_linked_call(session):
    t = ticket(session, phone=None, confidential=True)
    t.calls.append(Call(uniqueid=f"u-{t.number}", linkedid="l", caller="13800000004", dialed_number="12345"))
    session.flush()
    assert progress.is_own(t, "13800000004") and not progress.needs_code(t, "13800000004")


def test_speech_in_mandarin_says_state_department_and_deadline_as_numbers(session):
    t = ticket(session, due=dt.datetime(2026, 12, 18, 9, 30))   # 17:30 on 18 Dec in Asia/Shanghai
    steps = progress.speech(t, "zh", timezone="Asia/Shanghai", department_prompt=lambda d: f"dept-{d.code}")
    assert steps == [Say("prompt", "progress-ticket"), Say("digits", t.number[-6:]),
                     Say("prompt", "progress-ticket-state"), Say("prompt", "progress-state-handling"),
                     Say("prompt", "progress-department"), Say("prompt", "dept-rsj"),
                     Say("prompt", "progress-deadline"), Say("number", "12"), Say("prompt", "progress-month"),
                     Say("number", "18"), Say("prompt", "progress-day")]


def test_speech_in_english_says_the_date_and_a_department_without_prompt_is_not_named(session):
    t = ticket(session, due=dt.datetime(2026, 12, 18, 20, 0))   # already 19 December in the centre
    steps = progress.speech(t, "en", timezone="Asia/Shanghai", department_prompt=lambda d: None)
    assert Say("prompt", "progress-department") not in steps
    noon = dt.datetime(2026, 12, 19, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert steps[-2:] == [Say("prompt", "progress-deadline"), Say("date", str(int(noon.timestamp())))]


def test_an_answered_ticket_has_no_running_deadline(session):
    t = ticket(session, state=TicketState.replied, due=NOW, replied_at=NOW)
    steps = progress.speech(t, "zh", timezone="Asia/Shanghai", department_prompt=lambda d: "dept-x")
    assert Say("prompt", "progress-state-replied") in steps
    assert Say("prompt", "progress-deadline") not in steps


def test_every_state_has_a_phrase_with_a_prompt_text():
    from ivr.prompt_texts import SELF_SERVICE_PROMPTS

    assert set(progress.STATE_PROMPTS) == set(TicketState)
    assert set(progress.STATE_PROMPTS.values()) <= set(SELF_SERVICE_PROMPTS)


def test_wrong_query_codes_are_counted_per_number_and_centre_day(session):
    from db.models import TicketQuery

    t = ticket(session, phone="13800000077", confidential=True, code="4821")

    def refused(caller, at, wrong):
        call = Call(uniqueid=f"limit-{next(_numbers)}", caller=caller, dialed_number="12345", arrived_at=at)
        session.add(call)
        session.flush()
        progress.record_query(session, call, t, progress.FOUND_BY_KEYED, False, at, wrong_codes=wrong)
        session.flush()

    tz = "Asia/Shanghai"
    now = dt.datetime(2026, 12, 1, 8, 0)                       # 16:00 in the centre
    refused("13900000077", dt.datetime(2026, 11, 30, 15, 59), 2)   # 23:59 the day before: not today
    refused("13900000077", dt.datetime(2026, 11, 30, 16, 1), 2)    # 00:01 today
    refused("13900000078", now, 2)                                 # another number
    assert progress.wrong_codes_today(session, "13900000077", now, timezone=tz) == 2
    assert progress.code_attempts_left(session, "13900000077", now, timezone=tz) == 1
    refused("13900000077", now, 1)
    assert progress.code_attempts_left(session, "13900000077", now, timezone=tz) == 0
    # withheld numbers, however spelled, are one number
    refused("anonymous", now, 2)
    refused("Restricted", now, 1)
    assert progress.code_attempts_left(session, "", now, timezone=tz) == 0
    assert progress.code_attempts_left(session, "13900000079", now, timezone=tz) == progress.WRONG_CODES_PER_DAY
    assert session.query(TicketQuery).filter_by(ticket_id=t.id).count() == 6
