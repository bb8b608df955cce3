"""Dispatch suggestion tests on a real migrated and seeded database (SQLite and PostgreSQL, ``database_url``)."""
from __future__ import annotations

import datetime as dt

import pytest

from db.session import make_engine, make_session_factory, session_scope
from dispatch_suggest.synthetic import generate, write_history
from tests.support.databases import migrate_and_seed

# a workday morning in Jinan in a year the holiday calendar knows: 2026-03-02 Mon 10:00 local
MONDAY = dt.datetime(2026, 3, 2, 2, 0)
NOW = dt.datetime(2026, 6, 1, 2, 0)   # "today" for training: the history above is within its year


@pytest.fixture
def passwords(database_url):
    return migrate_and_seed(database_url)


@pytest.fixture
def session_factory(database_url, passwords):
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def history(session_factory):
    """history(cases or a count) → ticket numbers, written through the tickets package and committed."""
    def write(cases, start: dt.datetime = MONDAY, seed: int = 7):
        if isinstance(cases, int):
            cases = generate(cases, seed=seed)
        with session_scope(session_factory) as session:
            return write_history(session, cases, start)
    return write
