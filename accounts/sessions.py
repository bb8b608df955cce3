"""Server-side revocation of web sessions (会话注销) by a per-user session generation.

Every session cookie carries the user's generation at login; a request whose
generation is not the user's current one is anonymous. Logout, a password change
and a role change bump the generation, which ends every copy of every session of
that user (a cookie copied before logout included).
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Role, User
from db.repositories import security_audit


def revoke_sessions(user: User) -> None:
    user.session_generation = (user.session_generation or 0) + 1


def change_role(session: Session, user: User, role: Role | str, *, actor: str, address: str | None = None) -> bool:
    """Give ``user`` another role; their open sessions end. False when the role was already theirs."""
    new = Role(role)
    if user.role == new:
        return False
    old = user.role
    user.role = new
    revoke_sessions(user)
    security_audit.record(session, "role_changed", username=user.username, actor=actor, address=address,
                          detail=f"{old.value} → {new.value}")
    return True


def set_active(session: Session, user: User, active: bool, *, actor: str) -> None:
    user.active = active
    revoke_sessions(user)
    security_audit.record(session, "role_changed", username=user.username, actor=actor,
                          detail="account enabled" if active else "account disabled")
