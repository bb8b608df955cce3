"""accounts.throttle on a real database (SQLite and PostgreSQL), with an explicit clock."""
from __future__ import annotations

import datetime as dt

import pytest

from accounts import throttle
from db.migrate import upgrade
from db.models import LoginThrottle, SecurityEvent
from db.session import make_engine, make_session_factory

T0 = dt.datetime(2026, 12, 1, 8, 0, 0)


@pytest.fixture
def session(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        yield s
    engine.dispose()


def fail(session, n: int, at: dt.datetime, user="admin", addr="10.0.0.5"):
    for _ in range(n):
        throttle.register_failure(session, user, addr, at)
    session.commit()


def test_delay_doubles_per_failure_up_to_the_maximum(session):
    fail(session, 2, T0)
    assert throttle.refusal(session, "admin", "10.0.0.9", T0) is None      # two failures: no delay yet
    waits = []
    for n in range(3, 10):
        fail(session, 1, T0)
        waits.append(throttle.refusal(session, "admin", "10.0.0.9", T0).seconds_left(T0))
    assert waits == [2, 4, 8, 16, 32, 60, 60]
    after = T0 + dt.timedelta(seconds=61)
    assert throttle.refusal(session, "Admin ", "10.0.0.9", after) is None   # names are compared folded
    fail(session, 1, after)
    refused = throttle.refusal(session, "admin", "10.0.0.9", after)
    assert refused.locked and refused.until == after + dt.timedelta(minutes=15)
    assert throttle.refusal(session, "admin", "10.0.0.9", refused.until + dt.timedelta(seconds=1)) is None


def test_old_failures_are_forgotten_and_success_clears_only_the_account(session):
    fail(session, 5, T0)
    fail(session, 1, T0 + dt.timedelta(hours=2))
    assert session.get(LoginThrottle, "user:admin").failures == 1
    throttle.register_success(session, "admin")
    session.commit()
    assert session.get(LoginThrottle, "user:admin") is None
    assert session.get(LoginThrottle, "addr:10.0.0.5").failures == 1


def test_lifting_is_audited_and_a_second_lift_says_so(session):
    fail(session, 10, T0)
    assert {r.key for r in throttle.current(session, T0)} == {"user:admin", "addr:10.0.0.5"}
    assert throttle.lift(session, "user:admin", actor="root")
    session.commit()
    assert not throttle.lift(session, "user:admin", actor="root")
    kinds = [e.kind for e in session.query(SecurityEvent).order_by(SecurityEvent.id)]
    assert kinds == ["lockout", "lockout_lifted"]
