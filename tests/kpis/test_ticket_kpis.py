"""Ticket KPIs against small hand-computed cases, the tickets driven through the real workflow.

Deadlines (seed defaults, normal urgency): accept within 1 working day, handle
within 5, each ending at 24:00 of the last working day (REQUIREMENTS §3). Dispatched
Mon 2 March 2026 10:05 → accept by the end of Tue 3, reply by the end of Mon 9.
The 2026 Spring Festival: holiday Sun 15 – Mon 23 Feb, make-up workdays Sat 14 and Sat 28 Feb.
"""
from __future__ import annotations

import datetime as dt

from kpis.period import Period
from kpis.report import kpi_table
from kpis.settings import save_setting
from tests.kpis.helpers import fraction, utc

MARCH = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
LATER = utc("2026-03-31 12:00")  # every deadline of March's first week has passed


def tickets(session, period=MARCH, by=(), filters=None, as_of=LATER):
    return kpi_table(session, period, by, filters, families=("tickets",), as_of=as_of).tickets


def happy(reply_at="2026-03-05 10:00", rating="very_satisfied"):
    return [("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 14:00"), ("reply", reply_at),
            ("approve_reply", "2026-03-06 09:00"), ("return_visit", "2026-03-06 15:00", {"satisfaction": rating}),
            ("close", "2026-03-06 16:00")]


def test_no_tickets(session):
    [row] = tickets(session)
    f = row["figures"]
    assert f["tickets"]["value"] == 0
    assert all(f[k]["value"] is None for k in ("immediate_rate", "close_on_time_rate", "satisfaction_rate"))


def test_a_day_of_tickets_by_hand(session, loop):
    loop(steps=[("resolve_on_call", "2026-03-02 10:03")])                       # t1 直办
    loop(steps=happy())                                                           # t2 on time, very satisfied
    loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-04 09:00"),  # t3 accepted late,
                ("reply", "2026-03-10 10:00"), ("approve_reply", "2026-03-10 11:00"),  # replied late,
                ("return_visit", "2026-03-10 15:00", {"satisfaction": "neutral"}),     # rated 一般
                ("close", "2026-03-10 16:00")])
    loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 11:00"),  # t4 reopened, then fine
                ("reply", "2026-03-04 10:00"), ("approve_reply", "2026-03-04 11:00"),
                ("return_visit", "2026-03-04 15:00", {"satisfaction": "dissatisfied"}),
                ("reopen", "2026-03-05 09:00"), ("accept", "2026-03-05 10:00"), ("reply", "2026-03-06 10:00"),
                ("approve_reply", "2026-03-06 11:00"), ("return_visit", "2026-03-06 15:00"),
                ("close", "2026-03-06 16:00")])
    loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 11:00"),  # t5 closed, never rated
                ("reply", "2026-03-04 10:00"), ("approve_reply", "2026-03-04 11:00"),
                ("close", "2026-03-05 16:00", {"reason": "回访三次无人接听"})])
    loop(steps=[("dispatch", "2026-03-02 10:05")])                                # t6 never accepted
    [row] = tickets(session)
    f = row["figures"]
    assert f["tickets"]["value"] == 6 and f["dispatched"]["value"] == 5
    assert fraction(f["immediate_rate"]) == (1, 6)
    assert fraction(f["closure_rate"]) == (5, 6)
    assert fraction(f["accept_on_time_rate"]) == (3, 5)      # t2, t4 (its second 签收 too), t5; t3 late, t6 never
    assert fraction(f["close_on_time_rate"]) == (2, 5)       # t2, t5; t3 late, t4 reopened, t6 open past due
    assert fraction(f["overdue_rate"]) == (2, 5)             # t3 replied late, t6 unreplied past its deadline
    assert fraction(f["satisfaction_rate"]) == (2, 3)        # t2 非常满意, t4 满意 / rated t2 t3 t4
    assert fraction(f["satisfaction_rate_closed"]) == (2, 4) # t5 closed without a rating counts against
    assert f["unrated_closed"]["value"] == 1
    assert fraction(f["visit_rate"]) == (3, 4)
    assert fraction(f["reply_rate"]) == (4, 5)
    assert fraction(f["return_rate"]) == (0, 5) and fraction(f["extension_rate"]) == (0, 5)
    assert f["reopened"]["value"] == 1
    assert fraction(f["repeat_rate"]) == (0, 6)
    assert f["satisfaction_rate"]["formula"]["zh"] == "满意率"


def test_deadlines_not_yet_passed_are_neither_on_time_nor_late(session, loop):
    loop(steps=[("dispatch", "2026-03-02 10:05")])
    early = tickets(session, as_of=utc("2026-03-02 18:00"))[0]["figures"]
    assert fraction(early["accept_on_time_rate"]) == (0, 0) and fraction(early["overdue_rate"]) == (0, 0)
    still = tickets(session, as_of=utc("2026-03-03 23:59"))[0]["figures"]   # the last minute of Tue 3
    assert fraction(still["accept_on_time_rate"]) == (0, 0)
    late = tickets(session, as_of=utc("2026-03-04 00:01"))[0]["figures"]
    assert fraction(late["accept_on_time_rate"]) == (0, 1)
    assert fraction(late["overdue_rate"]) == (0, 0)          # the handling deadline (Mon 9) is still ahead
    assert fraction(tickets(session)[0]["figures"]["overdue_rate"]) == (1, 1)


def test_gaming_a_closed_ticket_is_satisfied_only_by_the_citizens_own_good_rating(session, loop):
    loop(steps=happy()[:4] + [("close", "2026-03-06 16:00", {"reason": "已办结"})])      # closed, no rating
    loop(steps=happy(rating="neutral")[:5] + [("close", "2026-03-06 16:00")])
    loop(steps=happy(rating="dissatisfied")[:5] + [("close", "2026-03-06 16:00", {"reason": "已尽力"})])
    loop(steps=happy(rating="very_dissatisfied")[:5] + [("close", "2026-03-06 16:00", {"reason": "已尽力"})])
    f = tickets(session)[0]["figures"]
    assert fraction(f["satisfaction_rate"]) == (0, 3)
    assert fraction(f["satisfaction_rate_closed"]) == (0, 4)
    assert f["unrated_closed"]["value"] == 1
    assert fraction(f["close_on_time_rate"]) == (4, 4)       # closing on time is another figure


def test_gaming_a_reopened_ticket_never_counts_as_closed_on_time(session, loop):
    steps = happy(reply_at="2026-03-03 10:00", rating="dissatisfied")[:5] + [
        ("reopen", "2026-03-04 09:00"), ("accept", "2026-03-04 09:30"), ("reply", "2026-03-04 15:00"),
        ("approve_reply", "2026-03-05 09:00"), ("return_visit", "2026-03-05 10:00", {"satisfaction": "satisfied"}),
        ("close", "2026-03-05 11:00")]
    ticket = loop(steps=steps)
    assert ticket.reopen_count == 1 and not ticket.overdue and ticket.replied_at <= ticket.handle_due_at
    f = tickets(session)[0]["figures"]
    assert fraction(f["close_on_time_rate"]) == (0, 1) and fraction(f["overdue_rate"]) == (0, 1)
    assert f["reopened"]["value"] == 1 and fraction(f["satisfaction_rate"]) == (1, 1)  # the second rating


def test_an_approved_extension_moves_the_deadline_for_on_time(session, loop):
    # due at the end of Mon 9; +3 working days → the end of Thu 12; the reply on Wed 11 is on time
    ticket = loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 11:00"),
                         ("request_extension", "2026-03-06 10:00", {"days": "3", "reason": "需现场检测"}),
                         ("approve_extension", "2026-03-06 11:00"), ("reply", "2026-03-11 10:00"),
                         ("approve_reply", "2026-03-11 11:00"), ("return_visit", "2026-03-11 15:00"),
                         ("close", "2026-03-11 16:00")])
    assert ticket.extension_days == 3
    loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 11:00"),   # asked, refused, late
                ("request_extension", "2026-03-06 10:00", {"days": "3", "reason": "需现场检测"}),
                ("reject_extension", "2026-03-06 11:00"), ("reply", "2026-03-11 10:00")])
    f = tickets(session)[0]["figures"]
    assert fraction(f["extension_rate"]) == (1, 2)
    assert fraction(f["close_on_time_rate"]) == (1, 2) and fraction(f["overdue_rate"]) == (1, 2)


def test_working_days_across_the_spring_festival_and_its_make_up_saturdays(session, loop):
    feb = Period(dt.date(2026, 2, 13), dt.date(2026, 2, 13))
    tail = [("approve_reply", "2026-02-28 10:00"), ("return_visit", "2026-02-28 11:00"), ("close", "2026-02-28 12:00")]
    # dispatched Fri 13 Feb 10:00: accept due by the end of the make-up Saturday 14, reply by the end of
    # Fri 27 (Sat 14, Tue 24 … Fri 27); a calendar without 调休 would get both wrong
    loop("2026-02-13 09:50", steps=[("dispatch", "2026-02-13 10:00"), ("accept", "2026-02-14 09:00"),
                                    ("reply", "2026-02-26 16:00")] + tail)              # on time, both
    loop("2026-02-13 09:50", steps=[("dispatch", "2026-02-13 10:00"), ("accept", "2026-02-16 09:00"),
                                    ("reply", "2026-02-27 09:00")] + tail)              # accepted in the holiday: late
    loop("2026-02-13 09:50", steps=[("dispatch", "2026-02-13 10:00"), ("accept", "2026-02-14 09:30"),
                                    ("reply", "2026-02-28 09:00")] + tail)              # replied on Sat 28: late
    f = tickets(session, feb)[0]["figures"]
    assert fraction(f["accept_on_time_rate"]) == (2, 3)
    assert fraction(f["close_on_time_rate"]) == (2, 3) and fraction(f["overdue_rate"]) == (1, 3)


def test_returned_tickets(session, loop):
    loop(steps=[("dispatch", "2026-03-02 10:05", {"department": "cgj"}),
                ("return_to_center", "2026-03-02 11:00", {"actor": "cgj_clerk", "reason": "不属本单位职责"}),
                ("redispatch", "2026-03-02 12:00"), ("accept", "2026-03-02 13:00")])
    loop(steps=[("dispatch", "2026-03-02 10:05"), ("accept", "2026-03-02 11:00")])
    f = tickets(session)[0]["figures"]
    assert fraction(f["return_rate"]) == (1, 2)
    by_department = {r["key"]["department"]: r["figures"] for r in tickets(session, by=("department",))}
    assert set(by_department) == {"scjgj"}      # the ticket now belongs to the department that handles it


def test_repeat_rate_same_caller_same_topic_within_the_window(session, loop):
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    loop("2026-03-02 10:00", caller_phone="13911112222")
    loop("2026-03-05 10:00", caller_phone="13911112222")                             # repeat (3 days)
    loop("2026-03-05 11:00", caller_phone="13911112222", topic="urban-vending")      # other matter
    loop("2026-04-10 10:00", caller_phone="13911112222")                             # 36 days after: new
    loop("2026-03-02 10:00", caller_phone=None)                                      # withheld number
    loop("2026-03-03 10:00", caller_phone=None)                                      # never matched
    f = tickets(session, period)[0]["figures"]
    assert fraction(f["repeat_rate"]) == (1, 4)
    save_setting(session, "kpis.repeat_days", "40", by="admin")
    assert fraction(tickets(session, period)[0]["figures"]["repeat_rate"]) == (2, 4)


def test_slices_by_topic_district_line_agent_and_hour(session, loop, actors):
    loop("2026-03-02 09:30", topic="urban-vending", district="shizhong", street=None,
         steps=[("resolve_on_call", "2026-03-02 09:35")])
    loop("2026-03-02 10:30", line="12315")
    loop("2026-03-02 10:40", line="12315")
    by_topic = {r["key"]["topic"]: r for r in tickets(session, by=("topic",))}
    assert by_topic["urban-vending"]["label"]["topic"] == "占道经营"
    assert fraction(by_topic["urban-vending"]["figures"]["immediate_rate"]) == (1, 1)
    by_district = {r["key"]["district"]: r["figures"]["tickets"]["value"] for r in tickets(session, by=("district",))}
    assert by_district == {"lixia": 2, "shizhong": 1}
    [line] = tickets(session, filters={"line": "12315"})
    assert line["figures"]["tickets"]["value"] == 2
    hours = {r["key"]["hour"]: r["figures"]["tickets"]["value"] for r in tickets(session, by=("hour",))}
    assert (hours[9], hours[10], hours[11]) == (1, 2, 0)
    [agent] = tickets(session, by=("agent",))
    assert agent["key"]["agent"] == "agent1001" and agent["figures"]["tickets"]["value"] == 3


def test_phone_return_visits_count_as_the_citizen_said_and_no_answer_is_never_satisfied(session, loop):
    from sqlalchemy import select

    from db.models import ReturnVisit, VisitAnswer
    from tickets.visit_answers import apply_answer

    def visited(answer):
        ticket = loop(steps=happy()[:4])                  # reply approved → 待回访, a return-visit request
        visit = session.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id))
        apply_answer(session, visit, True if answer else None, answer, utc("2026-03-06 15:00"))
    visited(VisitAnswer.satisfied)                        # closed, 满意
    visited(VisitAnswer.basically_satisfied)              # closed, 基本满意: rated, not counted as satisfied
    visited(None)                                         # answered without a key: nothing on the ticket
    loop(steps=happy()[:4])                               # never answered: waits for a human
    session.flush()
    f = tickets(session)[0]["figures"]
    assert fraction(f["satisfaction_rate"]) == (1, 2)
    assert fraction(f["satisfaction_rate_closed"]) == (1, 2)
    assert fraction(f["visit_rate"]) == (2, 4)
    assert fraction(f["closure_rate"]) == (2, 4)
