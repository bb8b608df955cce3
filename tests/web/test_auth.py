from __future__ import annotations

import datetime as dt

import pytest

from tests.support.web import ROLES, csrf_of, log_in


def test_login_page_and_health_need_no_login(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_and_logged(client, passwords, caplog):
    response = log_in(client, "supervisor", "not-the-password")
    assert response.status_code == 401
    assert "failed login for 'supervisor'" in caplog.text
    assert client.get("/supervisor/").status_code == 302  # still not logged in


def test_password_is_stored_hashed(app, passwords):
    from db.models import User
    from web.database import session

    with app.app_context():
        user = session().query(User).filter_by(username="admin").one()
        assert passwords["admin"] not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_post_without_csrf_token_is_refused(client, passwords):
    response = client.post("/login", data={"username": "admin", "password": passwords["admin"]})
    assert response.status_code == 400


def test_logout_needs_the_token_and_ends_the_session(login):
    c = login("supervisor")
    assert c.post("/logout").status_code == 400
    assert c.post("/logout", data={"csrf_token": c.csrf}).status_code == 302
    assert c.get("/supervisor/").status_code == 302


def test_session_expires_after_the_shift(app, login):
    assert app.permanent_session_lifetime == dt.timedelta(hours=8)
    c = login("supervisor")
    with c.session_transaction() as s:
        assert s.permanent


def test_open_redirect_after_login_is_refused(client, passwords):
    response = client.post("/login?next=//evil.example/x", data={
        "username": "admin", "password": passwords["admin"], "csrf_token": csrf_of(client)})
    assert response.headers["Location"].startswith("/")
    assert not response.headers["Location"].startswith("//")


# role × endpoint → allowed? (each area adds its endpoints here)
ACCESS = {
    "/supervisor/": {"supervisor", "admin"},
    "/supervisor/api/calls/recent": {"supervisor", "admin"},
}


@pytest.mark.parametrize("path", sorted(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(login, role, path):
    status = login(role).get(path).status_code
    assert status == (200 if role in ACCESS[path] else 403), (role, path, status)


@pytest.mark.parametrize("path", sorted(ACCESS))
def test_anonymous_is_sent_to_login_or_refused(client, path):
    assert client.get(path).status_code in (302, 401)


@pytest.mark.parametrize("role, expected", [
    ("agent", ["/agent/"]), ("clerk", ["/department/"]), ("reviewer", ["/centre/"]),
    ("supervisor", ["/supervisor/wallboard/", "/supervisor/", "/centre/"]),
    ("admin", ["/supervisor/wallboard/", "/centre/", "/admin/tickets/"]),
])
def test_each_role_sees_links_to_its_areas_and_they_open(login, role, expected):
    c = login(role)
    page = c.get("/", follow_redirects=True).get_data(as_text=True)
    for path in expected:
        assert f'href="{path}"' in page, (role, path)
        assert c.get(path).status_code == 200, (role, path)
