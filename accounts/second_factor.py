"""Second factor (动态口令, TOTP) for admin and supervisor accounts.

Enrolment: a new secret is shown once (otpauth URI and QR code) and kept only in
the enrolling user's session until a first code proves the phone app has it;
then it is stored on the user. At login, after the password, a code is asked;
each code is accepted once (the last used time step is stored).
"""
from __future__ import annotations

import pyotp
from sqlalchemy.orm import Session

from db.models import Role, User
from db.repositories import security_audit

ISSUER = "12345 Hotline"
ROLES_WITH_TOTP = (Role.admin, Role.supervisor)


def available_for(user: User) -> bool:
    return user.role in ROLES_WITH_TOTP


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no image request, nothing fetched)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def _accepted_step(secret: str, code: str, last_step: int | None, at=None) -> int | None:
    """The time step ``code`` belongs to (±1 step of clock drift), None if wrong or already used."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    import time

    now = time.time() if at is None else at
    here = int(now // totp.interval)
    for step in (here, here - 1, here + 1):
        if totp.verify(code, for_time=step * totp.interval) and (last_step is None or step > last_step):
            return step
    return None


def enrol(session: Session, user: User, secret: str, code: str, *, address: str | None = None, at=None) -> bool:
    """Store ``secret`` on ``user`` if ``code`` is right for it."""
    if not available_for(user):
        raise ValueError(f"the second factor is for {', '.join(r.value for r in ROLES_WITH_TOTP)} accounts")
    step = _accepted_step(secret, code, None, at)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    security_audit.record(session, "totp_enrolled", username=user.username, actor=user.username, address=address)
    return True


def verify(session: Session, user: User, code: str, *, address: str | None = None, at=None) -> bool:
    """Check a login code (once per code); a wrong one is audited."""
    if not user.totp_secret:
        return False
    step = _accepted_step(user.totp_secret, code, user.totp_last_step, at)
    if step is None:
        security_audit.record(session, "totp_failed", username=user.username, address=address)
        return False
    user.totp_last_step = step
    return True


def remove(session: Session, user: User, *, actor: str, address: str | None = None) -> None:
    """An admin removes a lost phone's factor (the user enrols again)."""
    user.totp_secret, user.totp_last_step = None, None
    user.session_generation = (user.session_generation or 0) + 1
    security_audit.record(session, "totp_removed", username=user.username, actor=actor, address=address)
