"""A migrated, seeded database (SQLite, then PostgreSQL) with the demo knowledge base, and a session on it."""
from __future__ import annotations

import datetime as dt

import pytest

from db.session import make_engine, make_session_factory
from tests.support.databases import migrate_and_seed

# a day inside the seeded articles' windows (the heating-season article runs 2026-11-15 .. 2027-03-15)
DEMO_DAY = dt.date(2026, 12, 1)


@pytest.fixture
def passwords(database_url):
    return migrate_and_seed(database_url)


@pytest.fixture
def session_factory(database_url, passwords):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(session_factory):
    s = session_factory()
    yield s
    s.rollback()
    s.close()
