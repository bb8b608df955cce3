"""The centre's own configuration history (配置版本): every change an admin makes, and changes staged for later.

One table for every kind of configuration (line, queue, agent, menu, switch,
calendar day): who changed what, when, and the whole before/after as JSON, so
a change can be shown, audited and restored. Admin-edited IVR menus live here
too, as the YAML text the engine reads.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.session import utcnow


class ConfigVersion(Base):
    """One saved change of one configuration item; ``version`` counts per (kind, key) from 1."""

    __tablename__ = "config_versions"
    __table_args__ = (Index("ix_config_versions_kind_key", "kind", "key", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # line, queue, agent, menu, switch, calendar_day
    key: Mapped[str] = mapped_column(String(64))           # natural key: line number, queue name, ...
    version: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))        # create, update, retire, restore, import, scheduled
    before: Mapped[dict | None] = mapped_column(JSON)      # None: the item did not exist
    after: Mapped[dict | None] = mapped_column(JSON)       # None: the item was removed
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    note: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<ConfigVersion {self.kind} {self.key} v{self.version} {self.action}>"


class ScheduledChange(Base):
    """A change staged for a moment (逐步整合): e.g. 12319 becomes merged on 2027-01-01."""

    __tablename__ = "scheduled_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64), index=True)
    due_at: Mapped[dt.datetime] = mapped_column(index=True)   # naive UTC
    changes: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(255))
    applied_at: Mapped[dt.datetime | None]
    applied_version_id: Mapped[int | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)   # why it could not be applied (it stays pending)

    @property
    def pending(self) -> bool:
        return self.applied_at is None and self.cancelled_at is None

    def __repr__(self) -> str:
        return f"<ScheduledChange {self.kind} {self.key} at {self.due_at}>"


class IvrMenu(Base):
    """A menu an admin saved (语音导航菜单): the YAML of ``ivr/menus/<name>.yaml``; it wins over the shipped file."""

    __tablename__ = "ivr_menus"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
