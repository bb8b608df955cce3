"""Deadline jobs (签收催办, 逾期督办) and notification delivery: idempotent, on both databases and real Redis."""
from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import func, select

from db.models import TicketEvent, TicketNotification, TicketUrgency
from db.repositories import tickets as ticket_repo
from db.session import session_scope, utcnow
from tests.tickets.conftest import MONDAY, draft
from tickets import effects
from tickets.intake import create_ticket
from tickets.jobs import deliver_pending, watch_deadlines
from tickets.states import Event
from tickets.workflow import transition


def dispatch_one(session_factory, actors, policy, urgency="normal", at=MONDAY) -> str:
    with session_scope(session_factory) as session:
        ticket = create_ticket(session, draft(urgency=urgency), actors["agent"], now=at)
        transition(session, ticket, Event.dispatch, actors["agent"], params={"department": "scjgj"}, now=at,
                   policy=policy)
        return ticket.number


def trail(session_factory, number) -> list[str]:
    with session_factory() as session:
        ticket = ticket_repo.by_number(session, number)
        return [e.event for e in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                                 .order_by(TicketEvent.id))]


def notes(session_factory, number) -> list[tuple[str, str | None, bool]]:
    with session_factory() as session:
        ticket = ticket_repo.by_number(session, number)
        rows = session.scalars(select(TicketNotification).where(TicketNotification.ticket_id == ticket.id)
                               .order_by(TicketNotification.id))
        return [(n.kind, n.role, n.delivered_at is not None) for n in rows]


def test_critical_ticket_reminded_then_escalated_each_once(database_url, session_factory, actors, policy):
    number = dispatch_one(session_factory, actors, policy, urgency=TicketUrgency.critical,
                          at=dt.datetime(2030, 1, 1, 2, 0))
    start = dt.datetime(2030, 1, 1, 2, 0)
    # accept within 15 min: the reminder comes when half of it is left
    assert watch_deadlines(database_url, now=start + dt.timedelta(minutes=5))["reminded"] == 0
    assert watch_deadlines(database_url, now=start + dt.timedelta(minutes=8))["reminded"] == 1
    assert watch_deadlines(database_url, now=start + dt.timedelta(minutes=9))["reminded"] == 0  # a second run
    # 16 min: accept overdue → escalated once
    done = watch_deadlines(database_url, now=start + dt.timedelta(minutes=16))
    assert done["escalated"] == 1 and done["delivered"] == 2
    assert watch_deadlines(database_url, now=start + dt.timedelta(minutes=17))["escalated"] == 0
    # 25 h: the 24-hour handling limit passed too
    assert watch_deadlines(database_url, now=start + dt.timedelta(hours=25))["escalated"] == 1
    assert watch_deadlines(database_url, now=start + dt.timedelta(hours=26))["escalated"] == 0
    assert trail(session_factory, number) == ["create", "dispatch", "remind_accept", "escalate", "escalate"]
    with session_factory() as session:
        ticket = ticket_repo.by_number(session, number)
        assert ticket.accept_overdue and ticket.overdue and ticket.supervised
        assert "签收超时" in ticket.events[3].reason and ticket.events[3].actor == "system"
    assert notes(session_factory, number) == [
        ("dispatch", None, False), ("remind_accept", None, True),
        ("escalate", None, True), ("escalate", "supervisor", True),
        ("escalate", None, True), ("escalate", "supervisor", True)]


def test_an_accepted_ticket_is_not_reminded_and_a_replied_one_not_escalated(database_url, session_factory,
                                                                            actors, policy):
    at = dt.datetime(2030, 2, 4, 2, 0)
    number = dispatch_one(session_factory, actors, policy, at=at)
    with session_scope(session_factory) as session:
        ticket = ticket_repo.by_number(session, number)
        transition(session, ticket, Event.accept, actors["clerk"], now=at, policy=policy)
        transition(session, ticket, Event.reply, actors["clerk"], params={"reply": "已经处理完毕, 详见回复"},
                   now=at, policy=policy)
    assert watch_deadlines(database_url, now=at + dt.timedelta(days=30)) == {"reminded": 0, "escalated": 0,
                                                                            "delivered": 0}


def test_the_sweep_delivers_what_redis_never_got(database_url, session_factory, actors, policy):
    number = dispatch_one(session_factory, actors, policy, at=dt.datetime(2030, 3, 4, 2, 0))
    assert notes(session_factory, number) == [("dispatch", None, False)]
    later = utcnow() + dt.timedelta(hours=1)
    assert deliver_pending(database_url, now=later) >= 1
    assert deliver_pending(database_url, now=later) == 0
    assert notes(session_factory, number) == [("dispatch", None, True)]


@pytest.fixture
def redis_settings(tmp_path, database_url):
    from hotline.config import Settings
    from hotline.redis_conn import redis_client

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": f"hltest-tickets-{secrets.token_hex(4)}:"})
    client = redis_client(settings, check=True)
    yield settings
    for key in client.scan_iter(f"*{settings.redis_prefix.rstrip(':')}*"):
        client.delete(key)


def test_after_commit_the_notification_is_queued_in_rq_and_a_worker_delivers_it(session_factory, actors, policy,
                                                                                redis_settings):
    from rq import Queue, SimpleWorker

    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    with session_scope(session_factory) as session:
        effects.bind(session, effects.RqDispatcher(redis_settings))
        ticket = create_ticket(session, draft(), actors["agent"], now=MONDAY)
        transition(session, ticket, Event.dispatch, actors["agent"], params={"department": "scjgj"}, now=MONDAY,
                   policy=policy)
        number = ticket.number
    conn = redis_client(redis_settings)
    queue = Queue(Keys(redis_settings.redis_prefix).rq_queue, connection=conn)
    assert queue.count == 1 and queue.jobs[0].func_name == "tickets.jobs.deliver_notification"
    SimpleWorker([queue], connection=conn).work(burst=True)
    assert notes(session_factory, number) == [("dispatch", None, True)]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TicketNotification)
                              .where(TicketNotification.delivered_at.is_(None),
                                     TicketNotification.ticket_id == ticket.id)) == 0


def test_the_worker_runs_the_watch_every_minute_with_its_own_settings(database_url, monkeypatch, tmp_path):
    import importlib

    from ops.scheduler import PERIODIC

    [(interval, path)] = [(i, p) for i, p in PERIODIC if p.startswith("tickets.")]
    module, _, name = path.rpartition(".")
    watch = getattr(importlib.import_module(module), name)
    from hotline.config import current_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(tmp_path))
    current_settings.cache_clear()  # the worker reads its settings once
    try:
        assert interval == 60
        assert set(watch()) == {"reminded", "escalated", "delivered", "swept"}
    finally:
        current_settings.cache_clear()
