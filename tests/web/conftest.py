"""Flask app on a real migrated and seeded database; a logged-in client per role.

Two sets: ``app``/``login`` (a fresh database per test) and the module-scoped
``ticket_app``/``as_role`` for the ticket pages and APIs (one database per module).
"""
from __future__ import annotations

import pytest

from hotline.config import Settings
from tests.support.databases import fresh_database, migrate_and_seed
from tests.support.web import LOGIN_FOR_ROLE, ROLE_LOGINS, csrf_of, log_in
from web import create_app


@pytest.fixture
def passwords(database_url):
    return migrate_and_seed(database_url)


@pytest.fixture
def app(database_url, passwords, tmp_path):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": "hltest-web:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app, passwords):
    """login(role) → a test client logged in as that role's demo user (its CSRF token in .csrf)."""
    def make(role: str):
        c = app.test_client()
        response = log_in(c, LOGIN_FOR_ROLE[role], passwords[LOGIN_FOR_ROLE[role]])
        assert response.status_code == 302, response.get_data(as_text=True)
        c.csrf = csrf_of(c)
        return c
    return make


# --- one app and database per module, for the ticket pages and APIs ----------------------
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ticket_db(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp("ticket-web")) as url:
        yield url, migrate_and_seed(url)


@pytest.fixture(scope="module")
def ticket_app(ticket_db, tmp_path_factory):
    url, _ = ticket_db
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path_factory.mktemp("ticket-web-run")),
                                  "DATABASE_URL": url, "HOTLINE_REDIS_PREFIX": "hltest-ticket-web:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True, "TICKET_EFFECTS": "record"})
    yield app
    app.extensions["hotline_sessions"].kw["bind"].dispose()


@pytest.fixture(scope="module")
def db_session(ticket_app):
    """A session on the app's database, for setting up and checking rows."""
    factory = ticket_app.extensions["hotline_sessions"]

    def make():
        return factory()
    return make


@pytest.fixture(scope="module")
def as_role(ticket_app, ticket_db):
    """as_role("clerk") → a logged-in test client (its CSRF token in .csrf); one per role and module."""
    _, passwords = ticket_db
    clients = {}

    def make(role: str):
        if role not in clients:
            client = ticket_app.test_client()
            username = ROLE_LOGINS[role]
            response = client.post("/login", data={"username": username, "password": passwords[username],
                                                   "csrf_token": csrf_of(client)})
            assert response.status_code == 302, response.get_data(as_text=True)
            client.csrf = csrf_of(client)
            clients[role] = client
        return clients[role]
    return make
