"""One migrated and seeded database per module and backend (SQLite, then a real PostgreSQL)."""
from __future__ import annotations

import pytest

from db.session import make_engine, make_session_factory
from hotline.config import Settings
from tests.support.databases import fresh_database, migrate_and_seed


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def config_db(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("centre-config")) as url:
        migrate_and_seed(url)
        yield url


@pytest.fixture(scope="module")
def factory(config_db):
    engine = make_engine(config_db)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(factory):
    s = factory()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def settings(config_db, tmp_path):
    return Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": config_db,
                              "HOTLINE_REDIS_PREFIX": "hltest-config:"})
