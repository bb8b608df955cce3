"""Citizens' privacy in the panel: withheld numbers are nobody's history; the admin's audit page."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from db.models import Agent, Call, SecurityEvent, Ticket
from db.session import utcnow
from tests.support.web import csrf_of, post_form
from tests.web.test_tickets_loop import create_from_screen_pop, form

_ids = itertools.count(1)


def call_from(db_session, caller: str, agent="1001") -> str:
    """A call the agent is on right now, from ``caller`` as the channel reported it."""
    with db_session() as s:
        agent_row = s.scalar(select(Agent).where(Agent.number == agent))
        for old in s.scalars(select(Call).where(Call.agent_id == agent_row.id, Call.ended_at.is_(None))):
            old.ended_at = utcnow()
        call = Call(uniqueid=f"withheld-{next(_ids)}", caller=caller, dialed_number="12345", agent=agent_row,
                    arrived_at=utcnow(), answered_at=utcnow())
        s.add(call)
        s.commit()
        return call.uniqueid


@pytest.mark.parametrize("first, second", [("anonymous", "anonymous"), ("Anonymous", "restricted"),
                                           ("", "unknown"), ("sip:anonymous@anonymous.invalid", "unavailable")])
def test_callers_who_withhold_their_number_are_not_one_person(as_role, db_session, first, second):
    agent = as_role("agent")
    uniqueid = call_from(db_session, first)
    page = agent.get("/agent/").get_data(as_text=True)
    assert 'name="caller_phone" value=""' in page and "隐藏号码 withheld" in page
    # the first citizen's ticket, linked to their call (whose caller is the placeholder)
    response = post_form(agent, "/agent/tickets", call_uniqueid=uniqueid, caller_phone="",
                         **form(action="save"))
    assert response.status_code == 302
    with db_session() as s:
        earlier = s.scalar(select(Ticket).join(Ticket.calls).where(Call.uniqueid == uniqueid)).number
    call_from(db_session, second)
    page = agent.get("/agent/").get_data(as_text=True)
    assert "重复来电" not in page and earlier not in page.split("历史工单")[1].split("相似在办工单")[0]
    assert 'name="caller_phone" value=""' in page
    assert agent.get("/agent/current-call.json").get_json()["caller"] == "隐藏号码 withheld"


def test_screen_pop_history_ignores_withheld_numbers_in_every_spelling(ticket_app, db_session):
    from tickets.screen_pop import caller_history

    call_from(db_session, "anonymous", agent="1002")
    with db_session() as s:
        for spelling in ("anonymous", "ANONYMOUS", "restricted", "", None, "private", "0000"):
            history = caller_history(s, spelling)
            assert (history.calls, history.tickets, history.repeat, history.phone) == ([], [], False, ""), spelling


def test_a_real_number_is_still_a_repeat_caller(as_role, db_session):
    first = create_from_screen_pop(as_role, db_session)
    with db_session() as s:
        agent_row = s.scalar(select(Agent).where(Agent.number == "1001"))
        for old in s.scalars(select(Call).where(Call.agent_id == agent_row.id, Call.ended_at.is_(None))):
            old.ended_at = utcnow()
        s.add(Call(uniqueid=f"again-{next(_ids)}", caller=first.caller_phone, dialed_number="12345",
                   agent=agent_row, arrived_at=utcnow(), answered_at=utcnow()))
        s.commit()
    page = as_role("agent").get("/agent/").get_data(as_text=True)
    assert "重复来电" in page and f'name="caller_phone" value="{first.caller_phone}"' in page


def test_the_audit_page_shows_failed_logins_unmasking_and_configuration_changes(as_role, db_session, ticket_app):
    client = ticket_app.test_client()
    client.post("/login", data={"username": "reviewer", "password": "nope", "csrf_token": csrf_of(client)})
    ticket = create_from_screen_pop(as_role, db_session)
    clerk = as_role("clerk")
    assert post_form(clerk, f"/department/tickets/{ticket.number}/unmask", reason="回电核实").status_code == 200
    admin = as_role("admin")
    assert post_form(admin, "/admin/tickets/calendar", day="2026-12-31", workday="0", note="试").status_code == 302
    assert post_form(admin, "/admin/tickets/limits", accept="4h").status_code in (302, 400)
    page = admin.get("/admin/security/").get_data(as_text=True)
    assert 'data-kind="login_failed"' in page and "reviewer" in page
    assert 'data-kind="unmask_phone"' in page and f"ticket {ticket.number}: 回电核实" in page
    assert "calendar 2026-12-31: day off 试" in page
    only = admin.get("/admin/security/?kind=unmask_phone").get_data(as_text=True)
    assert 'data-kind="login_failed"' not in only and f"ticket {ticket.number}" in only
    with db_session() as s:
        changed = s.scalars(select(SecurityEvent).where(SecurityEvent.kind == "setting_changed")).all()
    assert any(e.actor == "admin" and "2026-12-31" in e.detail for e in changed)
    # filters are checked, not passed through: a NUL is refused at the edge (web/edge.py), never a 500
    assert admin.get("/admin/security/?kind=%00&user=a%00b").status_code == 400
