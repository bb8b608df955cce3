"""Logins: throttling with a growing delay and a lockout an admin lifts, equal work for unknown names,
every failure audited, the password policy, and the second factor (TOTP) for admins and supervisors."""
from __future__ import annotations

import re
import statistics
import time

import pyotp
import pytest
from sqlalchemy import select

from db.models import LoginThrottle, SecurityEvent, User
from tests.support.web import csrf_of, log_in


def db(app):
    return app.extensions["hotline_sessions"]()


def wait_out_the_delay(app, key: str) -> None:
    """The growing delay of ``key`` and of the client's address has passed; counts and lockouts stay."""
    with db(app) as s:
        for row in s.scalars(select(LoginThrottle).where(LoginThrottle.key.in_([key, "addr:127.0.0.1"]))):
            row.blocked_until = None
        s.commit()


def events(app, kind: str | None = None) -> list[SecurityEvent]:
    with db(app) as s:
        query = select(SecurityEvent).order_by(SecurityEvent.id)
        return list(s.scalars(query.where(SecurityEvent.kind == kind) if kind else query))


def test_failures_get_a_growing_delay_then_a_lockout_that_even_the_right_password_cannot_pass(app, client,
                                                                                              passwords):
    delays = []
    for attempt in range(1, 11):
        response = log_in(client, "admin", f"wrong-{attempt}")
        assert response.status_code == 401, attempt
        with db(app) as s:
            row = s.get(LoginThrottle, "user:admin")
            assert row.failures == attempt
            if row.blocked_until:
                delays.append((row.blocked_until - row.last_failure_at).total_seconds())
        if attempt >= 3 and attempt < 10:
            # during the delay every attempt is refused before its password is looked at
            refused = log_in(client, "admin", passwords["admin"])
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
            assert "try again in" in refused.get_data(as_text=True)
            wait_out_the_delay(app, "user:admin")
    assert delays == sorted(delays) and delays[0] == 2 and delays[-1] > delays[0] * 8  # it grows
    # the 10th failure locked the account: the right password is refused, with the reason
    wait_out_the_delay(app, "user:admin")
    locked = log_in(client, "admin", passwords["admin"])
    assert locked.status_code == 429 and "locked" in locked.get_data(as_text=True)
    assert [e.detail for e in events(app, "lockout")][0].startswith("user:admin locked for 15 min")


def test_an_admin_lifts_a_lockout_on_the_security_page(app, client, login, passwords):
    for attempt in range(10):
        log_in(client, "supervisor", "wrong")
        wait_out_the_delay(app, "user:supervisor")
    assert log_in(client, "supervisor", passwords["supervisor"]).status_code == 429
    admin = login("admin")
    page = admin.get("/admin/security/").get_data(as_text=True)
    assert 'data-key="user:supervisor"' in page
    assert admin.post("/admin/security/lockouts/lift", data={"key": "user:supervisor",
                                                             "csrf_token": admin.csrf}).status_code == 302
    assert log_in(client, "supervisor", passwords["supervisor"]).status_code == 302
    assert [(e.username, e.actor) for e in events(app, "lockout_lifted")] == [("supervisor", "admin")]
    assert admin.post("/admin/security/lockouts/lift", data={"key": "user:nobody",
                                                             "csrf_token": admin.csrf}).status_code == 404


def test_an_address_is_throttled_across_accounts(app, passwords):
    client = app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.7"}
    for n in range(3):
        client.post("/login", data={"username": f"guess{n}", "password": "x", "csrf_token": csrf_of(client)},
                    environ_base=environ)
    # a new name from the same address is delayed too; another address is not
    assert client.post("/login", data={"username": "admin", "password": passwords["admin"],
                                       "csrf_token": csrf_of(client)}, environ_base=environ).status_code == 429
    assert log_in(app.test_client(), "admin", passwords["admin"]).status_code == 302


def _hash_calls(monkeypatch):
    import werkzeug.security

    calls = []
    real = werkzeug.security._hash_internal

    def counting(method, salt, password):
        calls.append(method.split(":")[0])
        return real(method, salt, password)
    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)
    return calls


def test_an_unknown_name_costs_the_same_hashing_as_a_known_one(app, monkeypatch, passwords):
    with db(app) as s:  # an inactive account must not answer faster either
        s.scalar(select(User).where(User.username == "reviewer")).active = False
        s.commit()
    calls = _hash_calls(monkeypatch)
    timings: dict[str, list[float]] = {"known": [], "unknown": [], "inactive": []}
    for n in range(3):
        for kind, name in (("known", "admin"), ("unknown", f"nosuchuser{n}"), ("inactive", "reviewer")):
            client = app.test_client()
            token = csrf_of(client)
            before = len(calls)
            started = time.perf_counter()
            response = client.post("/login", data={"username": name, "password": "wrong", "csrf_token": token},
                                   environ_base={"REMOTE_ADDR": f"198.51.100.{n * 3 + len(timings[kind])}"})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 401
            assert calls[before:] == [calls[0]], (kind, calls[before:])  # one hash, the same method
            with db(app) as s:
                for row in s.scalars(select(LoginThrottle)):
                    s.delete(row)
                s.commit()
    known = statistics.median(timings["known"])
    for kind in ("unknown", "inactive"):
        assert statistics.median(timings[kind]) > known / 3, timings


def test_every_failure_is_audited_with_the_address(app, client, passwords):
    log_in(client, "nosuchuser", "x")
    log_in(client, "admin", "wrong")
    client.post("/login", data={"username": "ad\x00min", "password": "x", "csrf_token": csrf_of(client)})
    log_in(client, "admin", passwords["admin"])  # delayed now: refused and audited too
    failed = events(app, "login_failed")
    assert [(e.username, e.detail, e.address) for e in failed] == [
        ("nosuchuser", "unknown user", "127.0.0.1"), ("admin", "wrong password", "127.0.0.1"),
        ("admin", "unknown user", "127.0.0.1")]  # the NUL never reached the database
    assert [e.username for e in events(app, "login_throttled")] == ["admin"]
    assert not events(app, "login")


@pytest.mark.parametrize("password, problem", [
    ("Sh0rt!", "at least 10"), ("alllowercaseletters", "three of"), ("Admin-12345x", "username"),
    ("Hotline-Desk-7", None), ("Password123", "too easy"), ("aaaaAAAA1111", "too easy"), ("Ok-password\x07x", "control"),
])
def test_password_policy(password, problem):
    from accounts.passwords import policy_problems

    problems = " ".join(policy_problems(password, "admin"))
    assert (problem in problems) if problem else problems == ""


def change_password(c, current, new, confirm=None):
    return c.post("/account/password", data={"current": current, "new": new, "confirm": confirm or new,
                                              "csrf_token": c.csrf})


def test_a_password_change_follows_the_policy_and_ends_the_other_sessions(app, login, passwords):
    c, other = login("agent"), login("agent")
    weak = change_password(c, passwords["agent1001"], "password12")
    assert weak.status_code == 400 and "three of" in weak.get_data(as_text=True)
    assert change_password(c, "not-mine", "Fresh-Passw0rd-1").status_code == 400
    assert change_password(c, passwords["agent1001"], "Fresh-Passw0rd-1", "typo").status_code == 400
    assert change_password(c, passwords["agent1001"], "Fresh-Passw0rd-1").status_code == 302
    assert c.get("/agent/").status_code == 200          # this browser goes on
    assert other.get("/agent/").status_code == 302      # the other session ended
    assert log_in(app.test_client(), "agent1001", passwords["agent1001"]).status_code == 401
    assert log_in(app.test_client(), "agent1001", "Fresh-Passw0rd-1").status_code == 302
    kinds = [e.kind for e in events(app) if e.username == "agent1001"]
    assert kinds.count("password_rejected") == 2 and "password_changed" in kinds


def enrol(c) -> str:
    page = c.post("/account/totp/start", data={"csrf_token": c.csrf}).get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert "otpauth://totp/" in page and "<svg" in page
    assert c.get("/account/").get_data(as_text=True).count(secret) == 0  # shown once
    assert c.post("/account/totp/confirm", data={"code": "000000", "csrf_token": c.csrf}).status_code == 400
    code = pyotp.TOTP(secret).now()
    assert c.post("/account/totp/confirm", data={"code": code, "csrf_token": c.csrf}).status_code == 302
    return secret


def test_admins_enrol_a_second_factor_and_it_is_asked_at_login(app, login, passwords):
    secret = enrol(login("admin"))
    with db(app) as s:
        assert s.scalar(select(User).where(User.username == "admin")).totp_secret == secret
    c = app.test_client()
    first = log_in(c, "admin", passwords["admin"])
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    assert c.get("/admin/security/").status_code == 302      # not logged in yet
    token = csrf_of(c)
    assert c.post("/login/code", data={"code": "123456", "csrf_token": token}).status_code == 401
    later = pyotp.TOTP(secret).at(time.time() + 30)           # the enrolment's code was used: take the next
    done = c.post("/login/code", data={"code": later, "csrf_token": token})
    assert done.status_code == 302 and c.get("/admin/security/").status_code == 200
    # the same code does not log in twice
    again = app.test_client()
    log_in(again, "admin", passwords["admin"])
    assert again.post("/login/code", data={"code": later, "csrf_token": csrf_of(again)}).status_code == 401
    assert [e.kind for e in events(app) if e.kind.startswith("totp")] == ["totp_enrolled", "totp_failed",
                                                                          "totp_failed"]


def test_agents_cannot_enrol_and_an_admin_removes_a_lost_factor(app, login, passwords):
    agent = login("agent")
    assert agent.post("/account/totp/start", data={"csrf_token": agent.csrf}).status_code == 400
    supervisor = login("supervisor")
    enrol(supervisor)
    admin = login("admin")
    with db(app) as s:
        user_id = s.scalar(select(User.id).where(User.username == "supervisor"))
    assert admin.post(f"/admin/security/users/{user_id}/totp/remove",
                      data={"csrf_token": admin.csrf}).status_code == 302
    assert supervisor.get("/supervisor/").status_code == 302  # its sessions ended with the factor
    assert log_in(app.test_client(), "supervisor", passwords["supervisor"]).headers["Location"] != "/login/code"
