"""The security audit trail (安全审计) and login throttles (登录限制)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.session import utcnow


class SecurityEvent(Base):
    """One audited act: a login or a failed one, a lockout, an unmasking, a role or setting change.

    Kept apart from ticket events: it is about people's access, not a ticket's life.
    ``username`` is the account concerned (as typed, for a failed login), ``actor``
    who did it when that is someone else (the admin who lifted a lockout).
    """

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class LoginThrottle(Base):
    """Failed logins counted per account (``user:NAME``) or per client address (``addr:IP``).

    ``blocked_until`` is the growing delay after each failure; ``locked_until`` a
    lockout, lifted by an admin or by time. A successful login clears the account's row.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime | None]
    blocked_until: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]
