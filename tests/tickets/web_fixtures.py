"""Module-scoped web fixtures for the ticket pages and APIs (import them into a test module).

One migrated, seeded database and one app per module and database kind: the
ticket tests make their own tickets, so they can share it, and the suite stays
fast. Side effects are recorded instead of queued in Redis (TICKET_EFFECTS).
"""
from __future__ import annotations

import re

import pytest

from hotline.config import Settings
from tests.support.databases import fresh_database, migrate_and_seed
from web import create_app

ROLE_LOGINS = {"agent": "agent1001", "agent2": "agent1002", "reviewer": "reviewer", "clerk": "scjgj",
               "clerk_cgj": "cgj", "clerk_lixia": "lixia", "supervisor": "supervisor", "admin": "admin"}


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


def csrf_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


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


def post_form(client, path: str, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def post_json(client, path: str, body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})
