"""A migrated, seeded database (SQLite, then PostgreSQL) with the demo knowledge base, and a session on it."""
from __future__ import annotations

import datetime as dt
import re

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


# the demo login used for each role (db/seed_data/users.yaml)
LOGINS = {"agent": "agent1001", "editor": "editor", "reviewer": "reviewer", "clerk": "scjgj",
          "supervisor": "supervisor", "admin": "admin"}


@pytest.fixture
def app(database_url, passwords, tmp_path):
    from hotline.config import Settings
    from web import create_app

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": "hltest-knowledge:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True, "TICKET_EFFECTS": "record"})
    # saves queue a build of the phone prompts (ivr.article_prompts): counted here, run by the rq worker in
    # tests/integration/test_ivr_calls.py
    app.extensions["article_prompt_builds"] = builds = []
    app.extensions["article_prompts"] = lambda: builds.append(1)
    yield app
    app.extensions["hotline_sessions"].kw["bind"].dispose()


def csrf_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def login(app, passwords):
    """login("editor") → a test client logged in as that role's demo user (its CSRF token in .csrf)."""
    def make(role: str):
        client = app.test_client()
        response = client.post("/login", data={"username": LOGINS[role], "password": passwords[LOGINS[role]],
                                               "csrf_token": csrf_of(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
        client.csrf = csrf_of(client)
        return client
    return make


@pytest.fixture
def browser(tmp_path):
    from tests.support.browsers import headless_chromium

    with headless_chromium(tmp_path / "chromium") as driver:
        yield driver
