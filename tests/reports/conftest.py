"""Report and hotspot tests on a real migrated and seeded database, SQLite and PostgreSQL.

One database per module; each test writes its tickets and calls in a session
rolled back afterwards, so every expected count can be computed by hand.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from db.models import Call, CallOutcome
from db.session import make_engine, make_session_factory
from tests.support.databases import fresh_database, migrate_and_seed
from tickets.context import Actor
from tickets.intake import create_ticket

BJ = dt.timedelta(hours=8)
_ids = itertools.count(1)
_phones = itertools.count(13600000001)


def utc(local: str) -> dt.datetime:
    """'2026-03-02 10:00' Beijing time → naive UTC, as rows store it."""
    return dt.datetime.fromisoformat(local) - BJ


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("reports-db")) as url:
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
def add_tickets(session):
    """add_tickets(n, '2026-03-02 10:00', topic='market-food', district='lixia') → n tickets created then."""
    agent = Actor("agent1001", "agent")

    def make(n: int, created: str, *, topic: str = "market-food", district: str = "lixia",
             street: str | None = None):
        out = []
        for _ in range(n):
            data = {"channel": "phone", "caller_phone": str(next(_phones)), "category": "complaint",
                    "topic": topic, "urgency": "normal", "district": district, "description": "测试热点"}
            if street:
                data["street"] = street
            out.append(create_ticket(session, data, agent, now=utc(created)))
        session.flush()
        return out
    return make


@pytest.fixture
def add_call(session):
    def make(caller: str, arrived: str):
        session.add(Call(uniqueid=f"rep-{next(_ids)}", caller=caller, dialed_number="12345",
                         arrived_at=utc(arrived), outcome=CallOutcome.answered))
        session.flush()
    return make
