"""One-click call back (一键回拨) in a real Chromium on the real hotline: a missed call shows on the agent's
list, the click queues the dialer's rq job in Redis, and that job calls the citizen back through the
carrier trunk and puts them through to the agent who clicked. And the return visit a phone call
could not do (回访, 待人工回访): on the reviewer's list, visited by hand, gone from the list."""
from __future__ import annotations

import dataclasses

import pytest
from rq import Queue
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from callbacks.jobs import call_back_by_agent
from db.models import Callback, CallbackStatus, Department, ReturnVisit, ReturnVisitStatus, Ticket, TicketState
from hotline.ami import AmiClient
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from tests.support.waiting import wait_for
from tickets.context import Actor
from tickets.intake import create_ticket
from tickets.workflow import transition

pytestmark = pytest.mark.asterisk
CALLER = "13900000077"
AGENTS = ("agent1001", "agent1002", "agent1003", "agent1004")

# the page's text in one script: a click that reloads the page can leave a <body> found before gone when read
BODY_TEXT = "return document.body ? document.body.innerText : ''"


def _dialer_ami(hotline) -> AmiClient:
    """The worker's own AMI user (least privilege: originate, call and agent events)."""
    return AmiClient("127.0.0.1", hotline.settings.ports.ami, *hotline.settings.ami_login("dialer"))


def _callback(hotline):
    with hotline.session_factory()() as s:
        row = s.scalar(select(Callback).where(Callback.caller == CALLER))
        if row is not None:
            s.expunge(row)
        return row


def test_one_click_call_back_from_the_agents_list(hotline, browser):
    settings = dataclasses.replace(hotline.settings, callback_window="00:00-24:00")
    for agent in AGENTS:
        hotline.set_softphone(agent, "noanswer")
    record = hotline.call("12345", "--from", CALLER, "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "7")
    for agent in AGENTS:
        hotline.set_softphone(agent, "answer")
    assert record["outcome"] == "abandoned"
    from callbacks.collect import collect_missed_calls
    with hotline.session_factory()() as s:          # what the periodic job does first
        collect_missed_calls(s, settings)
        s.commit()
    hotline.carrier.cli(f"dialplan set global CITIZEN_PHONE_{CALLER} answer")
    hotline.carrier.cli("dialplan set global CITIZEN_TALK 15")

    hotline.start_service("web")
    try:
        base = f"http://127.0.0.1:{hotline.settings.ports.web}"
        browser.get(f"{base}/login")
        browser.find_element(By.NAME, "username").send_keys("agent1001")
        browser.find_element(By.NAME, "password").send_keys(hotline.passwords["agent1001"])
        browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
        wait_for(lambda: browser.execute_script("return location.pathname") == "/agent/", 10, "the workspace")
        browser.find_element(By.LINK_TEXT, "漏接回拨 Callbacks").click()
        row = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, f"tr[data-callback='{_callback(hotline).id}']"),
                       10, "the missed call on the list")[0]
        assert CALLER in row.text and "pending" in row.text
        row.find_element(By.TAG_NAME, "button").click()
        # read in one script: the click reloads the page, a <body> found before could be gone when read
        wait_for(lambda: "正在回拨" in browser.execute_script(BODY_TEXT),
                 10, "the confirmation")
    finally:
        browser.get("about:blank")
        hotline.stop_service("web")

    # the click queued exactly the dialer's job for this request and this agent
    queue = Queue(Keys(settings.redis_prefix).rq_queue, connection=redis_client(settings))
    [job] = [j for j in queue.jobs if j.func_name == "callbacks.jobs.call_back_by_agent"]
    assert list(job.args) == [_callback(hotline).id, "1001"]
    job.cancel()
    with _dialer_ami(hotline) as ami:        # the worker's part, run here with an always-open window
        assert call_back_by_agent(*job.args, settings=settings, session_factory=hotline.session_factory(),
                                  ami=ami) == {_callback(hotline).id: "reached"}
    wait_for(lambda: _callback(hotline).status == CallbackStatus.reached, 5, "the request reached")
    with hotline.session_factory()() as s:
        attempt = s.scalar(select(Callback).where(Callback.caller == CALLER)).attempts[0]
        wait_for(lambda: (s.refresh(attempt), attempt.agent_id)[1] is not None, 25, "the agent who clicked answers",
                 interval=0.5)
        assert attempt.agent.number == "1001" and attempt.claimed_by == "agent:1001"


def _confidential_ticket_awaiting_visit(hotline) -> str:
    with hotline.session_factory()() as s:
        department = s.scalar(select(Department).where(Department.code == "scjgj"))
        ticket = create_ticket(s, {"channel": "phone", "caller_phone": "13900000078", "category": "complaint",
                                   "topic": "market-food", "description": "举报饭店使用过期食材", "confidential": True},
                               Actor("agent1001", "agent"))
        transition(s, ticket, "dispatch", Actor("agent1001", "agent"), params={"department": "scjgj"})
        clerk = Actor("scjgj", "clerk", department.id)
        transition(s, ticket, "accept", clerk)
        transition(s, ticket, "reply", clerk, params={"reply": "经查属实，已没收过期食材并罚款。"})
        transition(s, ticket, "approve_reply", Actor("reviewer", "reviewer"))
        s.commit()
        return ticket.number


def test_a_return_visit_the_phone_may_not_make_is_done_by_hand_from_the_reviewers_list(hotline, browser):
    number = _confidential_ticket_awaiting_visit(hotline)
    hotline.start_service("web")
    try:
        base = f"http://127.0.0.1:{hotline.settings.ports.web}"
        browser.get(f"{base}/login")
        browser.delete_all_cookies()                 # the agent of the test before is logged out
        browser.get(f"{base}/login")
        browser.find_element(By.NAME, "username").send_keys("reviewer")
        browser.find_element(By.NAME, "password").send_keys(hotline.passwords["reviewer"])
        browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
        wait_for(lambda: browser.execute_script("return location.pathname") == "/centre/", 10, "the review queue")
        row = browser.find_element(By.XPATH, f"//table[@class='return-visits']//tr[td/a[text()='{number}']]")
        assert "不电话回访" in row.text and "保密" in row.text
        row.find_element(By.LINK_TEXT, number).click()
        # the page text in one script: a <body> found before a reload may be gone when it is read
        wait_for(lambda: "电话回访 Return-visit calls" in browser.execute_script(BODY_TEXT),
                 10, "the ticket page with its return-visit calls")
        form = browser.find_element(By.CSS_SELECTOR, "form[action$='/return_visit']")
        Select(form.find_element(By.NAME, "satisfaction")).select_by_value("basically_satisfied")
        Select(form.find_element(By.NAME, "resolved")).select_by_value("1")
        form.find_element(By.NAME, "reason").send_keys("人工回访: 市民当面表示基本满意")
        form.find_element(By.TAG_NAME, "button").click()
        wait_for(lambda: "已回访" in browser.execute_script(BODY_TEXT), 10,
                 "the ticket visited")
        browser.get(f"{base}/centre/")
        assert number not in browser.find_element(By.CSS_SELECTOR, "table.return-visits").text
    finally:
        browser.get("about:blank")
        hotline.stop_service("web")
    with hotline.session_factory()() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.state is TicketState.visited and ticket.satisfaction == "basically_satisfied"
        assert ticket.visit_resolved is True and ticket.events[-1].actor == "reviewer"
        visit = s.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id))
        assert visit.status is ReturnVisitStatus.not_called and visit.attempts == []
