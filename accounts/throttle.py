"""Login throttling (登录限制): a growing delay after failures, then a temporary lockout.

Counted twice, per account (``user:<name>``, unknown names too, so throttling
says nothing about which names exist) and per client address (``addr:<ip>``).
After ``delay_after`` failures each further attempt must wait ``base_delay``
seconds, doubling per failure up to ``max_delay``; at ``lock_account_after``
(account) or ``lock_address_after`` (address) failures the key is locked for
``lock_minutes``. Failures older than ``window_minutes`` are forgotten. An admin
lifts a delay or lockout with ``lift()`` (web page or CLI). The delay is a
refusal ("try again in N s"), never a sleep that would hold a server thread.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import LoginThrottle
from db.repositories import security_audit
from db.session import utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    delay_after: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0
    lock_account_after: int = 10
    lock_address_after: int = 30
    lock_minutes: int = 15
    window_minutes: int = 60


DEFAULT_POLICY = ThrottlePolicy()


@dataclass(frozen=True)
class Refusal:
    key: str
    until: dt.datetime
    locked: bool

    def seconds_left(self, now: dt.datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))

    def message(self, now: dt.datetime) -> str:
        if self.locked:
            return (f"登录已被临时锁定 Too many failed logins: locked for {self.seconds_left(now) // 60 + 1} min; "
                    "an administrator can lift it")
        return f"请稍后再试 Too many failed logins: try again in {self.seconds_left(now)} s"


def account_key(username: str) -> str:
    return f"user:{username.strip().lower()[:64]}"


def address_key(address: str | None) -> str:
    return f"addr:{(address or 'unknown')[:64]}"


def refusal(session: Session, username: str, address: str | None, now: dt.datetime | None = None) -> Refusal | None:
    """Why a login attempt must be refused before its password is even looked at (None: go ahead)."""
    now = now or utcnow()
    rows = session.scalars(select(LoginThrottle).where(
        LoginThrottle.key.in_([account_key(username), address_key(address)]))).all()
    found = []
    for row in rows:
        if row.locked_until and row.locked_until > now:
            found.append(Refusal(row.key, row.locked_until, True))
        elif row.blocked_until and row.blocked_until > now:
            found.append(Refusal(row.key, row.blocked_until, False))
    if not found:
        return None
    return max(found, key=lambda r: (r.locked, r.until))


def register_failure(session: Session, username: str, address: str | None, now: dt.datetime | None = None,
                     policy: ThrottlePolicy = DEFAULT_POLICY) -> list[str]:
    """Count one failed attempt for the account and the address; returns the keys locked by it."""
    now = now or utcnow()
    locked = []
    for key, lock_after in ((account_key(username), policy.lock_account_after),
                            (address_key(address), policy.lock_address_after)):
        row = _row(session, key)
        if row.last_failure_at and now - row.last_failure_at > dt.timedelta(minutes=policy.window_minutes):
            row.failures = 0
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        if row.failures >= policy.delay_after:
            delay = min(policy.max_delay, policy.base_delay * 2 ** (row.failures - policy.delay_after))
            row.blocked_until = now + dt.timedelta(seconds=delay)
        if row.failures >= lock_after and not (row.locked_until and row.locked_until > now):
            row.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
            locked.append(key)
            security_audit.record(session, "lockout", username=username if key.startswith("user:") else None,
                                  address=address, detail=f"{key} locked for {policy.lock_minutes} min after "
                                                          f"{row.failures} failures")
    return locked


def register_success(session: Session, username: str) -> None:
    """A good login clears the account's count (not the address's: one known password must not
    buy an address more guesses at other accounts)."""
    row = session.get(LoginThrottle, account_key(username))
    if row is not None:
        session.delete(row)


def lift(session: Session, key: str, *, actor: str, address: str | None = None) -> bool:
    """An admin lifts the delay and lockout of ``key`` (``user:NAME`` or ``addr:IP``); False if none."""
    row = session.get(LoginThrottle, key)
    if row is None:
        return False
    session.delete(row)
    security_audit.record(session, "lockout_lifted", username=key[5:] if key.startswith("user:") else None,
                          actor=actor, address=address, detail=f"{key} after {row.failures} failures")
    return True


def current(session: Session, now: dt.datetime | None = None) -> list[LoginThrottle]:
    """Keys that are delayed or locked right now, most recent failure first."""
    now = now or utcnow()
    return list(session.scalars(select(LoginThrottle).where(
        or_(LoginThrottle.locked_until > now, LoginThrottle.blocked_until > now))
        .order_by(LoginThrottle.last_failure_at.desc())))


def _row(session: Session, key: str) -> LoginThrottle:
    """The key's row under a row lock, created on first failure (a concurrent first insert is retried)."""
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0)
            session.add(row)
        return row
    except IntegrityError:
        return session.scalar(query.execution_options(populate_existing=True))
