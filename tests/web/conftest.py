"""Flask app on a real migrated and seeded database; a logged-in client per role."""
from __future__ import annotations

import re

import pytest

from db.migrate import upgrade
from db.seed import seed
from db.seed_users import seed_users
from db.session import make_engine, make_session_factory, session_scope
from hotline.config import Settings
from tests.support.databases import fresh_database
from web import create_app

ROLES = ("agent", "reviewer", "clerk", "supervisor", "admin")
# the demo login used for each role (db/seed_data/users.yaml)
LOGIN_FOR_ROLE = {"agent": "agent1001", "reviewer": "reviewer", "clerk": "scjgj", "supervisor": "supervisor",
                  "admin": "admin"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def passwords(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(make_session_factory(engine)) as session:
        seed(session)
        created = seed_users(session)
    engine.dispose()
    return created


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
