"""Ticket tests on a real migrated and seeded database: SQLite and PostgreSQL.

The database is built once per module (migrations and seed take most of the
time); every test makes its own tickets, so tests do not see each other's work.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from db.models import Department
from db.session import make_engine, make_session_factory
from tests.support.databases import fresh_database, migrate_and_seed
from tickets.context import SYSTEM, Actor
from tickets.deadlines import DeadlinePolicy
from tickets.intake import create_ticket


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("tickets-db")) as url:
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


@pytest.fixture(scope="module")
def actors(session_factory):
    with session_factory() as session:
        dept = {d.code: d.id for d in session.query(Department)}
    return {
        "agent": Actor("agent1001", "agent"),
        "reviewer": Actor("reviewer", "reviewer"),
        "supervisor": Actor("supervisor", "supervisor"),
        "admin": Actor("admin", "admin"),
        "clerk": Actor("scjgj", "clerk", dept["scjgj"]),       # primary in the tests' dispatches
        "co_clerk": Actor("cgj", "clerk", dept["cgj"]),        # co-handler in the tests' dispatches
        "other_clerk": Actor("lixia", "clerk", dept["lixia"]),
        "system": SYSTEM,
    }


# A workday morning in Jinan, in a month chinese-calendar knows: 2026-03-02 Mon 10:00 local = 02:00 UTC
MONDAY = dt.datetime(2026, 3, 2, 2, 0)
_phones = itertools.count(13900000000)


def draft(**overrides) -> dict:
    data = {"channel": "phone", "caller_name": "张三", "caller_phone": str(next(_phones)),
            "category": "complaint", "topic": "market-food", "urgency": "normal",
            "address": "历下区泉城路1号", "district": "lixia", "street": "quanchenglu",
            "description": "饭店后厨卫生条件差, 有老鼠"}
    data.update(overrides)
    return data


@pytest.fixture
def new_ticket(session, actors):
    def make(at: dt.datetime = MONDAY, **overrides):
        return create_ticket(session, draft(**overrides), actors["agent"], now=at)
    return make


@pytest.fixture
def policy():
    return DeadlinePolicy()
