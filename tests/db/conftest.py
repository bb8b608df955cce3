"""Every database test runs twice: on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ is not a package and pytest only puts tests/db on sys.path; make
# ``tests.support`` importable however pytest is started.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from db.migrate import upgrade  # noqa: E402
from db.seed import seed  # noqa: E402
from db.session import make_engine, make_session_factory, session_scope  # noqa: E402


@pytest.fixture
def engine(database_url):
    """Engine on a database migrated to head."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@pytest.fixture
def seeded(session_factory):
    """A migrated and seeded database; returns the seed counts."""
    with session_scope(session_factory) as session:
        return seed(session)
