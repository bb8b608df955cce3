"""Sessions revoked on the server (logout, password change, role change); cookie flags; security headers."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts.passwords import set_password
from db.models import User
from hotline.config import Settings
from tests.support.web import log_in
from web import create_app


def db(app):
    return app.extensions["hotline_sessions"]()


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie (as an attacker would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_logout_is_void_after_it(app, login):
    c = login("supervisor")
    thief = copy_of(app, c)
    assert thief.get("/supervisor/").status_code == 200
    assert c.post("/logout", data={"csrf_token": c.csrf}).status_code == 302
    assert thief.get("/supervisor/").status_code == 302
    assert thief.get("/supervisor/api/calls/recent", headers={"Accept": "application/json"}).status_code == 401


def test_a_password_change_elsewhere_ends_the_session(app, login):
    c = login("agent")
    with db(app) as s:
        set_password(s, s.scalar(select(User).where(User.username == "agent1001")), "Another-Passw0rd",
                     actor="admin")
        s.commit()
    assert c.get("/agent/").status_code == 302


def test_a_role_change_ends_the_session_and_is_audited(app, login):
    reviewer, admin = login("reviewer"), login("admin")
    assert reviewer.get("/centre/").status_code == 200
    with db(app) as s:
        user_id = s.scalar(select(User.id).where(User.username == "reviewer"))
    assert admin.post(f"/admin/security/users/{user_id}/role",
                      data={"role": "agent", "csrf_token": admin.csrf}).status_code == 302
    assert reviewer.get("/centre/").status_code == 302
    page = admin.get("/admin/security/?kind=role_changed").get_data(as_text=True)
    assert "reviewer → agent" in page
    assert admin.post(f"/admin/security/users/{user_id}/role",
                      data={"role": "boss", "csrf_token": admin.csrf}).status_code == 400


def test_the_security_page_is_for_admins_only(login, client):
    for role in ("agent", "reviewer", "clerk", "supervisor"):
        assert login(role).get("/admin/security/").status_code == 403
    assert client.get("/admin/security/").status_code == 302


def test_session_cookie_is_httponly_samesite_lax_and_not_secure_over_http(client, passwords):
    response = log_in(client, "admin", passwords["admin"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def https_app(database_url, passwords, tmp_path):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": "hltest-websec:", "HOTLINE_WEB_HTTPS": "1"})
    return create_app({"HOTLINE_SETTINGS": settings, "TESTING": True})


def test_over_https_the_cookie_is_secure_hsts_is_sent_and_http_is_redirected(https_app, passwords):
    c = https_app.test_client()
    assert c.get("/login").status_code == 302 and c.get("/login").headers["Location"].startswith("https://")
    page = c.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = c.post("/login", base_url="https://localhost", data={
        "username": "admin", "password": passwords["admin"], "csrf_token": token})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"] and "SameSite=Lax" in response.headers["Set-Cookie"]


def test_yes_no_settings_refuse_nonsense():
    from hotline.errors import HotlineError

    with pytest.raises(HotlineError, match="HOTLINE_WEB_HTTPS"):
        Settings.from_env({"HOTLINE_WEB_HTTPS": "maybe"})
    with pytest.raises(HotlineError, match="HOTLINE_RETENTION_CALL_DAYS"):
        Settings.from_env({"HOTLINE_RETENTION_CALL_DAYS": "two years"})


def csp_of(response) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:])
            for part in response.headers["Content-Security-Policy"].split(";") if part.strip()}


def test_every_page_sends_the_security_headers(client):
    response = client.get("/login")
    csp = csp_of(response)
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", csp["script-src"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


# the pages each role opens; every inline script and style must carry this response's nonce
PAGES = {"agent": ["/agent/", "/account/"], "clerk": ["/department/"], "reviewer": ["/centre/", "/centre/tickets"],
         "supervisor": ["/supervisor/", "/supervisor/wallboard/", "/account/"],
         "admin": ["/admin/tickets/", "/admin/security/", "/supervisor/wallboard/"]}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_inline_scripts_and_styles_carry_the_nonce_and_no_style_attributes(login, role):
    c = login(role)
    for path in PAGES[role]:
        response = c.get(path)
        assert response.status_code == 200, (role, path)
        nonce = re.search(r"'nonce-([\w-]+)'", csp_of(response)["script-src"]).group(1)
        page = response.get_data(as_text=True)
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", page):
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (path, tag)
        assert not re.search(r"<[^>]+\sstyle=", page), path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path  # no inline event handlers


def test_only_the_agent_state_panel_may_be_framed_and_only_by_the_panel(login):
    c = login("agent")
    panel = c.get("/agent/state/panel")
    if panel.status_code == 404:
        pytest.fail("the agent state panel moved: update FRAMED_BY_SELF in web/security_headers.py")
    assert csp_of(panel)["frame-ancestors"] == "'self'" and panel.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert csp_of(c.get("/agent/"))["frame-ancestors"] == "'none'"
