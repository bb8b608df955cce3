"""KPI tests on a real migrated and seeded database, SQLite and PostgreSQL.

The database is built once per module; every test writes its own calls and
tickets in a session that is rolled back afterwards, so tests never see each
other's rows and every expected figure can be computed by hand.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from db.models import Agent, Call, CallOutcome, Department, Line
from db.session import make_engine, make_session_factory
from tests.kpis.helpers import utc
from tests.support.databases import fresh_database, migrate_and_seed
from tickets.workflow import Actor

_ids = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("kpis-db")) as url:
        migrate_and_seed(url, users=False)
        yield url


@pytest.fixture(scope="module")
def session_factory(database_url):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session
        session.rollback()


@pytest.fixture
def add_call(session):
    """add_call(joined='2026-03-02 10:00', wait=10, talk=120) → a finished call record, as the AGI writes it.

    answered: talk is not None; abandoned: talk None and outcome abandoned (default);
    not queued: joined=None (arrived= gives its arrival).
    """
    agents = {a.number: a for a in session.query(Agent)}
    lines = {line.number: line for line in session.query(Line)}

    def make(joined: str | None = "2026-03-02 10:00", *, wait: float | None = 10, talk: float | None = None,
             outcome: CallOutcome | None = None, queue: str | None = "12345", agent: str | None = "1001",
             line: str = "12345", arrived: str | None = None, ended: bool = True) -> Call:
        joined_at = utc(joined) if joined else None
        arrived_at = utc(arrived) if arrived else (joined_at - dt.timedelta(seconds=3) if joined_at else None)
        answered_at = joined_at + dt.timedelta(seconds=wait) if (joined_at and talk is not None) else None
        end = answered_at + dt.timedelta(seconds=talk) if answered_at else (
            joined_at + dt.timedelta(seconds=wait or 0) if joined_at else arrived_at + dt.timedelta(seconds=60))
        if outcome is None:
            outcome = CallOutcome.answered if answered_at else CallOutcome.abandoned
        the_line = lines[line]
        call = Call(uniqueid=f"kpi-{next(_ids)}.1", caller="13800000000", dialed_number=line, line_id=the_line.id,
                    line_mode=the_line.mode, department_id=the_line.department_id, arrived_at=arrived_at,
                    queue_joined_at=joined_at, answered_at=answered_at, ended_at=end if ended else None,
                    queue_name=queue if joined_at else None,
                    agent_id=agents[agent].id if (answered_at and agent) else None,
                    outcome=outcome if ended else None, wait_seconds=wait if joined_at else None,
                    talk_seconds=talk)
        session.add(call)
        session.flush()
        return call
    return make


@pytest.fixture(scope="module")
def actors(session_factory):
    with session_factory() as session:
        dept = {d.code: d.id for d in session.query(Department)}
    return {"agent": Actor("agent1001", "agent"), "agent2": Actor("agent1002", "agent"),
            "reviewer": Actor("reviewer", "reviewer"), "clerk": Actor("scjgj", "clerk", dept["scjgj"]),
            "cgj_clerk": Actor("cgj", "clerk", dept["cgj"])}


_phones = itertools.count(13700000001)


@pytest.fixture
def loop(session, actors):
    """loop(created='2026-03-02 10:00', steps=[('dispatch', '2026-03-02 10:05'), ...]) → a ticket driven
    through the real workflow (``tickets.workflow.transition``) at the given Beijing times."""
    from tickets.intake import create_ticket
    from tickets.workflow import transition

    who = {"dispatch": "agent", "resolve_on_call": "agent", "accept": "clerk", "reply": "clerk",
           "request_extension": "clerk", "return_to_center": "clerk"}
    defaults = {"dispatch": {"department": "scjgj"}, "redispatch": {"department": "scjgj"},
                "reply": {"reply": "已责令商家整改, 复查合格"}, "resolve_on_call": {"reply": "已当场解答"},
                "return_visit": {"satisfaction": "satisfied"}}

    def make(created: str = "2026-03-02 10:00", steps=(), **fields):
        data = {"channel": "phone", "caller_name": "张三", "caller_phone": str(next(_phones)),
                "category": "complaint", "topic": "market-food", "urgency": "normal",
                "address": "历下区泉城路1号", "district": "lixia", "street": "quanchenglu",
                "description": "饭店后厨卫生条件差"}
        data.update(fields)
        ticket = create_ticket(session, data, actors["agent"], now=utc(created))
        for step in steps:
            event, at, *extra = step
            options = extra[0] if extra else {}
            actor = actors[options.pop("actor", who.get(event, "reviewer"))]
            params = {**defaults.get(event, {}), **options}
            transition(session, ticket, event, actor, reason=params.pop("reason", "理由"), params=params,
                       now=utc(at))
        session.flush()
        return ticket
    return make
