"""Handlers run through the real FastAGI server against a migrated, seeded database (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from agi import config_snapshot
from db.migrate import upgrade
from db.seed import seed
from db.session import make_engine, make_session_factory, session_scope
from tests.support.databases import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            seed(session)
        config_snapshot.CACHE.invalidate()
        yield engine
        engine.dispose()
        config_snapshot.CACHE.invalidate()
