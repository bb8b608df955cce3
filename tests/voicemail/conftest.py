"""Voicemail (留言) rules on a real migrated and seeded database (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from db.session import make_engine, make_session_factory
from tests.support.databases import migrate_and_seed


@pytest.fixture
def session(database_url):
    migrate_and_seed(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()
