"""People who log in to the web panel, and what each role may do."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from db.models.base import Base, str_enum
from db.models.departments import Department
from db.models.queues import Agent
from db.session import utcnow


class Role(enum.StrEnum):
    agent = "agent"            # 话务员: takes calls, writes and dispatches tickets
    reviewer = "reviewer"      # 中心审核员: reviews returns, replies, extensions
    clerk = "clerk"            # 承办单位经办人: works its own department's tickets
    supervisor = "supervisor"  # 值班长: wallboard, agents, surge announcements
    admin = "admin"            # 系统管理员: configuration, users, calendar overrides
    editor = "editor"          # 知识库编辑: writes, publishes and retires knowledge-base articles


class User(Base):
    """A login of the web panel (用户). Clerks belong to a department; agents are an Agent."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]
    # bumped at logout, password and role change: every session cookie of an older generation is void
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    password_changed_at: Mapped[dt.datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # second factor (动态口令), once confirmed
    totp_last_step: Mapped[int | None]  # the last accepted time step: a code is good once

    department: Mapped[Department | None] = relationship()
    agent: Mapped[Agent | None] = relationship()

    # what Flask-Login asks of a user object (duck-typed: db/ does not import the web's libraries)
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The session's token: id and generation, so a bumped generation logs every copy out."""
        return f"{self.id}:{self.session_generation or 0}"

    def set_password(self, password: str) -> None:

        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:

        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class CentreSetting(Base):
    """Centre-wide switches a supervisor or admin changes at run time (e.g. IVR menus off)."""

    __tablename__ = "centre_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(1024), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
