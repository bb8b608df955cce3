"""The password policy (密码策略) and the acts that change a password.

At least 10 characters from at least three of: lower case, upper case, digits,
other symbols; not the username; not a well-known password; no control
characters. Checked whenever a password is set or changed (the demo logins of
``hotline seed`` are long random strings made by the seed, not chosen by a person).
"""
from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from db.models import User
from db.repositories import security_audit
from db.session import utcnow

MIN_LENGTH = 10
MAX_LENGTH = 128
COMMON = frozenset({
    "password", "password1", "password123", "passw0rd", "12345678", "123456789", "1234567890", "qwerty123",
    "qwertyuiop", "admin123", "administrator", "iloveyou", "welcome1", "abc123456", "a123456789",
    "woaini1314", "12345hotline", "hotline12345", "changeme", "letmein",
})


class PasswordRefused(ValueError):
    """The new password breaks the policy; ``problems`` says how (one line each)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def policy_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with ``password`` (empty list: it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters (密码至少 {MIN_LENGTH} 位)")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in password):
        problems.append("no control characters")
    classes = sum((any(ch.islower() for ch in password), any(ch.isupper() for ch in password),
                   any(ch.isdigit() for ch in password), any(not ch.isalnum() for ch in password)))
    if classes < 3:
        problems.append("use three of: lower case, upper case, digits, symbols (大小写字母、数字、符号中的三种)")
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append("must not contain the username")
    if lowered in COMMON or len(set(password)) < 4:
        problems.append("too easy to guess")
    return problems


def check_policy(password: str, username: str = "") -> None:
    problems = policy_problems(password, username)
    if problems:
        raise PasswordRefused(problems)


def set_password(session: Session, user: User, new: str, *, actor: str, address: str | None = None) -> None:
    """Set ``user``'s password (an admin's reset or the user's own change); ends all their sessions."""
    try:
        check_policy(new, user.username)
    except PasswordRefused as refused:
        security_audit.record(session, "password_rejected", username=user.username, actor=actor,
                              address=address, detail=str(refused))
        raise
    user.set_password(new)
    user.password_changed_at = utcnow()
    user.session_generation = (user.session_generation or 0) + 1
    security_audit.record(session, "password_changed", username=user.username, actor=actor, address=address,
                          detail="own change" if actor == user.username else "reset by an admin")


def change_own_password(session: Session, user: User, current: str, new: str, *,
                        address: str | None = None) -> None:
    """The user changes their own password: the current one must be given."""
    if not user.check_password(current):
        security_audit.record(session, "password_rejected", username=user.username, actor=user.username,
                              address=address, detail="wrong current password")
        raise PasswordRefused(["the current password is wrong (当前密码错误)"])
    if current == new:
        raise PasswordRefused(["the new password must differ from the current one"])
    set_password(session, user, new, actor=user.username, address=address)


def generate() -> str:
    """A random password that passes the policy (for `hotline user add/passwd`)."""
    import secrets

    while True:
        password = secrets.token_urlsafe(15)
        if not policy_problems(password):
            return password
