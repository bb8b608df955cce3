"""Self-service tests on a real migrated and seeded database: SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from db.migrate import upgrade
from db.seed import seed
from db.session import make_engine, make_session_factory, session_scope
from tests.support.databases import fresh_database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def session_factory(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("selfservice-db")) as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            seed(session)
        yield factory
        engine.dispose()


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session
        session.rollback()
