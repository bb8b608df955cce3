"""Flask app on a real migrated and seeded database; a logged-in client per role."""
from __future__ import annotations

import re

import pytest

from hotline.config import Settings
from tests.support.databases import migrate_and_seed
from web import create_app

ROLES = ("agent", "reviewer", "clerk", "supervisor", "admin")
# the demo login used for each role (db/seed_data/users.yaml)
LOGIN_FOR_ROLE = {"agent": "agent1001", "reviewer": "reviewer", "clerk": "scjgj", "supervisor": "supervisor",
                  "admin": "admin"}


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


def csrf_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_of(client)})


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
