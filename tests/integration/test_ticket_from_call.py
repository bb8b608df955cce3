"""End to end on the real Asterisk: a citizen calls 12315, an agent answers, writes the ticket from the
screen pop and dispatches it; the department accepts and replies; the call and its recording stay linked."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from db.models import Call, Ticket
from db.repositories import tickets as ticket_repo
from tests.support.waiting import wait_for
from tests.support.web import csrf_of

pytestmark = pytest.mark.asterisk

CALLER = "13800012315"


def logged_in(app, username: str, password: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)}).status_code == 302
    client.csrf = csrf_of(client)
    return client


def wait_for_answered_call(hotline, caller: str, timeout: float = 20.0) -> Call:
    def answered():
        with hotline.session_factory()() as s:
            call = s.scalar(select(Call).where(Call.caller == caller, Call.answered_at.is_not(None),
                                               Call.ended_at.is_(None)).order_by(Call.id.desc()))
            if call is not None:
                s.expunge(call)
            return call
    return wait_for(answered, timeout, f"an answered call from {caller}", interval=0.2)


def test_ticket_from_the_screen_pop_dispatched_accepted_and_replied(hotline):
    result: dict = {}
    citizen = threading.Thread(target=lambda: result.update(
        record=hotline.call("12315", "--from", CALLER, "--hangup-after", "15")))
    citizen.start()
    try:
        call = wait_for_answered_call(hotline, CALLER)
        with hotline.session_factory()() as s:
            agent_number = s.get(Call, call.id).agent.number
        app = hotline.web_app()  # side effects go to rq in this installation's Redis
        agent = logged_in(app, f"agent{agent_number}", hotline.passwords[f"agent{agent_number}"])

        # the screen pop: the caller, the old number dialed and the department that owned it
        page = agent.get("/agent/").get_data(as_text=True)
        assert CALLER in page and call.uniqueid in page
        assert "12315" in page and "市场监管投诉举报热线" in page and "济南市市场监督管理局" in page
        assert agent.get("/agent/current-call.json").get_json()["uniqueid"] == call.uniqueid

        response = agent.post("/agent/tickets", data={
            "csrf_token": agent.csrf, "call_uniqueid": call.uniqueid, "caller_phone": CALLER, "line": "12315",
            "caller_name": "赵先生", "category": "complaint", "topic": "market-consumer", "urgency": "normal",
            "district": "lixia", "address": "历下区泉城路某商场", "description": "预付卡商家关门, 无法退款",
            "action": "dispatch", "department": "scjgj", "reason": "请核查商家经营情况"})
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    finally:
        citizen.join(60)
    record = result["record"]
    assert record["outcome"] == "answered" and record["uniqueid"] == call.uniqueid

    with hotline.session_factory()() as s:
        ticket = s.scalar(select(Ticket).where(Ticket.caller_phone == CALLER))
        number = ticket.number
        assert ticket.state.value == "dispatched" and ticket.line.number == "12315"
        assert [c.uniqueid for c in ticket.calls] == [record["uniqueid"]]

    clerk = logged_in(app, "scjgj", hotline.passwords["scjgj"])
    detail = clerk.get(f"/department/tickets/{number}").get_data(as_text=True)
    assert "预付卡商家关门" in detail and CALLER not in detail and "138****2315" in detail
    for event, data in (("accept", {}), ("reply", {"reply": "已约谈商家, 商家同意按余额退款"})):
        with hotline.session_factory()() as s:
            version = ticket_repo.by_number(s, number).version
        response = clerk.post(f"/department/tickets/{number}/{event}",
                              data={"csrf_token": clerk.csrf, "version": str(version), **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]

    with hotline.session_factory()() as s:
        ticket = ticket_repo.by_number(s, number)
        assert ticket.state.value == "replied" and ticket.reply.startswith("已约谈商家")
        assert [e.event for e in ticket.events] == ["create", "dispatch", "accept", "reply"]
        assert ticket.calls[0].recording_file == record["recording_file"]
    # the centre sees the reply in its queue, with the call's recording linked
    reviewer = logged_in(app, "reviewer", hotline.passwords["reviewer"])
    assert number in reviewer.get("/centre/").get_data(as_text=True)
    assert "<audio" in reviewer.get(f"/centre/tickets/{number}").get_data(as_text=True)
    deliver_queued_notifications(hotline, number)


def deliver_queued_notifications(hotline, number: str) -> None:
    """The notifications went to rq after each commit: a worker delivers them, then the queue is removed."""
    from rq import Queue, SimpleWorker

    from db.models import TicketNotification
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    conn = redis_client(hotline.settings)
    queue = Queue(Keys(hotline.settings.redis_prefix).rq_queue, connection=conn)
    try:
        assert queue.count >= 2  # dispatch → department, reply → reviewers
        SimpleWorker([queue], connection=conn).work(burst=True)
        with hotline.session_factory()() as s:
            ticket = ticket_repo.by_number(s, number)
            kinds = [(n.kind, n.delivered_at is not None) for n in s.scalars(
                select(TicketNotification).where(TicketNotification.ticket_id == ticket.id))]
        assert kinds == [("dispatch", True), ("reply", True)]
    finally:
        for job_id in queue.finished_job_registry.get_job_ids() + queue.failed_job_registry.get_job_ids():
            conn.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        queue.delete(delete_jobs=True)
