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


@pytest.fixture(scope="module")
def demo_department():
    """The demo department system as its own process on a free port; yields its base URL."""
    import socket
    import subprocess
    import sys

    from hotline.config import PROJECT_DIR
    from tests.support.waiting import wait_for

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "selfservice.demo_department", "--port", str(port)],
                               cwd=PROJECT_DIR)

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    try:
        wait_for(listening, 10, f"demo department on port {port}", interval=0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
