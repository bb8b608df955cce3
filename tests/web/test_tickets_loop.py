"""The closed loop in the browser, role by role: agent → department → centre → citizen."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from db.models import Agent, Call, ConfigVersion, Line, Ticket, TicketEvent, TicketNotification
from db.session import utcnow
from tests.support.web import post_form

_phones = itertools.count(13912340001)


def open_call(db_session, agent="1001", dialed="12345"):
    """A call the agent is on right now (answered, not ended), as the AGI side records it."""
    with db_session() as s:
        line = s.scalar(select(Line).where(Line.number == dialed))
        agent_row = s.scalar(select(Agent).where(Agent.number == agent))
        # end any call this agent left open in an earlier test
        for old in s.scalars(select(Call).where(Call.agent_id == agent_row.id, Call.ended_at.is_(None))):
            old.ended_at = utcnow()
        call = Call(uniqueid=f"web-{next(_phones)}", caller=str(next(_phones)), dialed_number=dialed, line=line,
                    agent=agent_row, arrived_at=utcnow(), answered_at=utcnow())
        s.add(call)
        s.commit()
        return call.uniqueid, call.caller


LOADED = (selectinload(Ticket.line), selectinload(Ticket.department), selectinload(Ticket.calls),
          selectinload(Ticket.merged_into))


def ticket_of(db_session, phone) -> Ticket:
    with db_session() as s:
        return s.scalar(select(Ticket).options(*LOADED).where(Ticket.caller_phone == phone)
                        .order_by(Ticket.id.desc()))


def form(**overrides):
    data = {"caller_name": "王女士", "category": "complaint", "topic": "market-food", "urgency": "normal",
            "address": "历下区泉城路188号", "district": "lixia", "street": "quanchenglu",
            "description": "小区门口餐馆油烟直排, 多次反映未解决", "action": "dispatch", "department": "scjgj"}
    data.update(overrides)
    return data


def create_from_screen_pop(as_role, db_session, dialed="12345", **overrides):
    uniqueid, caller = open_call(db_session, dialed=dialed)
    agent = as_role("agent")
    page = agent.get("/agent/").get_data(as_text=True)
    assert uniqueid in page and caller in page
    response = post_form(agent, "/agent/tickets", call_uniqueid=uniqueid, caller_phone=caller, line=dialed,
                         **form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return ticket_of(db_session, caller)


def act(client, area, ticket, event, expect=302, **data):
    with_version = {"version": str(ticket.version), **data}
    response = post_form(client, f"/{area}/tickets/{ticket.number}/{event}", **with_version)
    assert response.status_code == expect, response.get_data(as_text=True)[:2000]
    return response


def refreshed(db_session, ticket) -> Ticket:
    with db_session() as s:
        return s.get(Ticket, ticket.id, options=LOADED)


def test_the_whole_loop_through_the_pages(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session, dialed="12315", co_departments="cgj")
    assert (ticket.state.value, ticket.line.number, ticket.department.code) == ("dispatched", "12315", "scjgj")
    assert len(ticket.calls) == 1 and ticket.calls[0].caller == ticket.caller_phone

    clerk = as_role("clerk")
    portal = clerk.get("/department/").get_data(as_text=True)
    assert ticket.number in portal and "待签收" in portal
    detail = clerk.get(f"/department/tickets/{ticket.number}").get_data(as_text=True)
    assert ticket.caller_phone not in detail and f"{ticket.caller_phone[:3]}****{ticket.caller_phone[-4:]}" in detail
    act(clerk, "department", ticket, "accept")
    ticket = refreshed(db_session, ticket)
    act(clerk, "department", ticket, "reply", reply="已现场检查, 责令餐馆安装油烟净化设备, 三日内整改")
    ticket = refreshed(db_session, ticket)
    assert ticket.state.value == "replied"

    reviewer = as_role("reviewer")
    queue = reviewer.get("/centre/").get_data(as_text=True)
    assert ticket.number in queue.split("Replies to review")[1].split("Return visits")[0]
    act(reviewer, "centre", ticket, "approve_reply")
    ticket = refreshed(db_session, ticket)
    act(as_role("agent"), "centre", ticket, "return_visit", satisfaction="satisfied", reason="市民表示满意")
    ticket = refreshed(db_session, ticket)
    act(reviewer, "centre", ticket, "close")
    ticket = refreshed(db_session, ticket)
    act(reviewer, "centre", ticket, "archive")
    ticket = refreshed(db_session, ticket)
    assert ticket.state.value == "archived" and ticket.satisfaction.value == "satisfied"

    page = reviewer.get(f"/centre/tickets/{ticket.number}").get_data(as_text=True)
    for step in ("受理登记", "派单", "签收", "答复", "审核通过", "回访", "办结", "归档"):
        assert step in page, step
    with db_session() as s:
        trail = [(e.event, e.actor) for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                                       .order_by(TicketEvent.id))]
    assert trail == [("create", "agent1001"), ("dispatch", "agent1001"), ("accept", "scjgj"), ("reply", "scjgj"),
                     ("approve_reply", "reviewer"), ("return_visit", "agent1001"), ("close", "reviewer"),
                     ("archive", "reviewer")]


def test_a_stale_form_is_refused_and_an_illegal_button_explains_itself(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session)
    clerk = as_role("clerk")
    act(clerk, "department", ticket, "accept")
    # the same (old) page submitted again
    page = act(clerk, "department", ticket, "accept", expect=409).get_data(as_text=True)
    assert "changed by someone else" in page
    fresh = refreshed(db_session, ticket)
    page = act(clerk, "department", fresh, "accept", expect=409).get_data(as_text=True)
    assert "cannot accept" in page and "possible now" in page
    page = act(clerk, "department", fresh, "approve_reply", expect=409).get_data(as_text=True)
    assert "cannot approve_reply" in page
    assert refreshed(db_session, ticket).version == fresh.version


def test_return_review_and_redispatch_move_the_ticket_between_portals(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session)
    clerk, reviewer, cgj = as_role("clerk"), as_role("reviewer"), as_role("clerk_cgj")
    page = act(clerk, "department", ticket, "return_to_center", expect=400).get_data(as_text=True)
    assert "reason" in page and "退单理由" in page
    act(clerk, "department", ticket, "return_to_center", reason="油烟属于生态环境部门职责")
    ticket = refreshed(db_session, ticket)
    assert ticket.number in reviewer.get("/centre/").get_data(as_text=True).split("Returns")[1]
    act(reviewer, "centre", ticket, "redispatch", department="cgj", reason="改派城管")
    assert clerk.get(f"/department/tickets/{ticket.number}").status_code == 404
    assert ticket.number in cgj.get("/department/").get_data(as_text=True)
    ticket = refreshed(db_session, ticket)
    act(cgj, "department", ticket, "accept")
    assert refreshed(db_session, ticket).department.code == "cgj"


def test_extension_request_and_approval_move_the_deadline(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session)
    clerk, reviewer = as_role("clerk"), as_role("reviewer")
    act(clerk, "department", ticket, "accept")
    ticket = refreshed(db_session, ticket)
    page = act(clerk, "department", ticket, "request_extension", expect=400, days="11",
               reason="需要检测").get_data(as_text=True)
    assert "between 1 and 10" in page and 'value="需要检测"' in page  # the typed reason is kept
    act(clerk, "department", ticket, "request_extension", days="3", reason="需要第三方检测")
    ticket = refreshed(db_session, ticket)
    before = ticket.handle_due_at
    assert ticket.number in reviewer.get("/centre/").get_data(as_text=True).split("Extension requests")[1]
    act(reviewer, "centre", ticket, "approve_extension", days="2", reason="同意延期两个工作日")
    ticket = refreshed(db_session, ticket)
    assert ticket.state.value == "accepted" and ticket.extension_days == 2 and ticket.handle_due_at > before
    assert "延期批准" in clerk.get("/department/").get_data(as_text=True)  # the notification in the inbox


def test_unmasking_is_logged_and_refused_for_confidential_tickets(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session)
    clerk = as_role("clerk")
    refused = post_form(clerk, f"/department/tickets/{ticket.number}/unmask", reason="")
    assert refused.status_code == 400 and ticket.caller_phone not in refused.get_data(as_text=True)
    shown = post_form(clerk, f"/department/tickets/{ticket.number}/unmask", reason="需要回电核实地址")
    assert shown.status_code == 200 and ticket.caller_phone in shown.get_data(as_text=True)
    with db_session() as s:
        logged = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                     TicketEvent.event == "unmask_phone")).all()
    assert [(e.actor, e.reason) for e in logged] == [("scjgj", "需要回电核实地址")]

    secret = create_from_screen_pop(as_role, db_session, confidential="1")
    page = clerk.get(f"/department/tickets/{secret.number}").get_data(as_text=True)
    assert secret.caller_phone not in page and "保密" in page and "显示号码" not in page
    assert post_form(clerk, f"/department/tickets/{secret.number}/unmask", reason="回电").status_code == 403
    assert secret.caller_phone in as_role("reviewer").get(f"/centre/tickets/{secret.number}").get_data(as_text=True)


def test_departments_see_only_their_tickets_and_their_old_numbers(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session, dialed="12319")  # 城市管理 dual line, owner cgj
    lixia, cgj = as_role("clerk_lixia"), as_role("clerk_cgj")
    assert lixia.get(f"/department/tickets/{ticket.number}").status_code == 404
    assert act(lixia, "department", ticket, "accept", expect=404)
    assert ticket.number not in lixia.get("/department/").get_data(as_text=True)
    # cgj owned 12319: it sees the ticket, read-only, with the number masked and no way to unmask
    portal = cgj.get("/department/").get_data(as_text=True)
    assert ticket.number in portal.split("原号码来件")[1]
    page = cgj.get(f"/department/tickets/{ticket.number}").get_data(as_text=True)
    assert ticket.caller_phone not in page and "显示号码" not in page and "操作 Actions" not in page
    assert post_form(cgj, f"/department/tickets/{ticket.number}/unmask", reason="看看").status_code == 403
    act(cgj, "department", ticket, "accept", expect=403)


def test_a_refused_ticket_form_keeps_everything_typed(as_role, db_session):
    uniqueid, caller = open_call(db_session)
    agent = as_role("agent")
    response = post_form(agent, "/agent/tickets", call_uniqueid=uniqueid, caller_phone=caller,
                         **form(description="", department="nosuchdept", address="经十路17923号"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "required: what the citizen asks" in page and "经十路17923号" in page and uniqueid in page
    assert ticket_of(db_session, caller) is None
    # the dispatch error shows once the ticket itself is valid, and still nothing is saved
    page = post_form(agent, "/agent/tickets", call_uniqueid=uniqueid, caller_phone=caller,
                     **form(department="nosuchdept")).get_data(as_text=True)
    assert "unknown department &#39;nosuchdept&#39;" in page and ticket_of(db_session, caller) is None


def test_screen_pop_flags_a_repeat_caller_and_offers_similar_tickets(as_role, db_session):
    first = create_from_screen_pop(as_role, db_session)
    agent = as_role("agent")
    with db_session() as s:  # the same citizen calls again
        call = s.scalar(select(Call).where(Call.caller == first.caller_phone))
        again = Call(uniqueid=f"again-{first.number}", caller=first.caller_phone, dialed_number="12345",
                     agent=call.agent, arrived_at=utcnow(), answered_at=utcnow())
        s.add(again)
        s.commit()
    page = agent.get("/agent/").get_data(as_text=True)
    assert "重复来电" in page and first.number in page
    assert agent.get("/agent/current-call.json").get_json() == {"uniqueid": f"again-{first.number}",
                                                               "caller": first.caller_phone}
    similar = agent.get("/agent/similar.json?topic=market-food&street=quanchenglu&address=泉城路188号").get_json()
    assert first.number in [t["number"] for t in similar]
    # this time it is the same matter: merge instead of dispatching twice
    response = post_form(agent, "/agent/tickets", call_uniqueid=f"again-{first.number}",
                         caller_phone=first.caller_phone, **form(action="merge", into=first.number))
    assert response.status_code == 302
    merged = ticket_of(db_session, first.caller_phone)
    assert merged.state.value == "merged" and merged.merged_into.number == first.number
    assert {c.uniqueid for c in refreshed(db_session, first).calls} == {call.uniqueid, f"again-{first.number}"}


def test_an_agent_links_only_a_call_they_answered(as_role, db_session):
    uniqueid, caller = open_call(db_session, agent="1001")
    response = post_form(as_role("agent2"), "/agent/tickets", call_uniqueid=uniqueid, caller_phone=caller, **form())
    assert response.status_code == 400 and "not one you answered" in response.get_data(as_text=True)
    assert ticket_of(db_session, caller) is None


def test_resolved_on_the_call(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session, action="resolve", category="consultation",
                                    topic="other-policy", reply="已告知公积金提取所需材料")
    assert ticket.state.value == "closed" and ticket.resolved_on_call and ticket.department is None


def test_dispatch_notifies_the_department_inbox_and_it_can_be_read(as_role, db_session):
    ticket = create_from_screen_pop(as_role, db_session)
    clerk = as_role("clerk")
    with db_session() as s:
        note = s.scalar(select(TicketNotification).where(TicketNotification.ticket_id == ticket.id))
        assert note.department.code == "scjgj"
    assert f"{ticket.number} 新工单" in clerk.get("/department/").get_data(
        as_text=True)
    assert post_form(clerk, f"/department/notifications/{note.id}/read").status_code == 302
    with db_session() as s:
        assert s.get(TicketNotification, note.id).read_at is not None
    assert post_form(as_role("clerk_cgj"), f"/department/notifications/{note.id}/read").status_code == 404


def test_admin_sets_holidays_and_time_limits(as_role, db_session):
    admin = as_role("admin")
    page = admin.get("/admin/tickets/").get_data(as_text=True)
    assert "节假日调整" in page
    assert post_form(admin, "/admin/tickets/calendar", day="2027-01-01", workday="0", note="元旦").status_code == 302
    assert "2027-01-01" in admin.get("/admin/tickets/").get_data(as_text=True)
    with db_session() as s:   # the page's override is centre configuration: versioned and audited like the API's
        version = s.scalars(select(ConfigVersion).where(ConfigVersion.kind == "calendar_day",
                                                        ConfigVersion.key == "2027-01-01")).one()
        assert (version.action, version.before, version.after["workday"]) == ("create", None, False)
    assert post_form(admin, "/admin/tickets/calendar", day="someday", workday="0").status_code == 400
    assert post_form(admin, "/admin/tickets/limits", **{"normal.handle": "6wd"}).status_code == 302
    bad = post_form(admin, "/admin/tickets/limits", **{"normal.handle": "soon"})
    assert bad.status_code == 400 and "not a time limit" in bad.get_data(as_text=True)
    assert post_form(admin, "/admin/tickets/calendar/2027-01-01/delete").status_code == 302
    assert post_form(admin, "/admin/tickets/calendar/2027-01-01/delete").status_code == 404
    with db_session() as s:
        actions = s.scalars(select(ConfigVersion.action).where(ConfigVersion.key == "2027-01-01")
                            .order_by(ConfigVersion.id)).all()
        assert actions == ["create", "delete"]
    assert post_form(admin, "/admin/tickets/limits", **{"normal.handle": "5wd"}).status_code == 302
    created = post_form(admin, "/admin/tickets/clients", name="wechat-test", channel="wechat")
    assert re.search(r'id="new-key">[\w-]{20,}<', created.get_data(as_text=True))
