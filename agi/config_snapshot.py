"""The routing configuration as plain data, reloaded every few seconds instead of queried per call.

Lines, queues and centre switches change a few times a day; calls arrive many
times a second. The FastAGI server keeps one snapshot and reloads it when it is
older than ``TTL`` seconds (an admin's change, or a supervisor's surge
announcement, takes effect within that time), or at once when a configuration
change is announced (ops/config_watch.py calls ``CACHE.invalidate``). One call setup then costs one
INSERT instead of seven queries.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.menus import effective as effective_menus
from db.models import CentreSetting, Line, LineMode, Queue
from db.repositories import calendar as calendar_repo
from hotline.calendar import WorkCalendar
from ivr import switches
from ivr.menu import Menu
from queue_logic import surge

TTL = 2.0


@dataclass(frozen=True)
class LineInfo:
    """A line (热线号码) as routing needs it: the columns of ``db.models.Line``."""
    id: int
    number: str
    name: str
    mode: LineMode
    department_id: int | None
    greeting: str | None
    notice_until: dt.date | None
    active: bool
    active_from: dt.datetime | None
    active_until: dt.datetime | None
    business_hours: str | None
    transfer_target: str | None
    queue_name: str
    language: str
    ivr_menu: str | None
    no_menu: bool
    max_call_seconds: int | None = None      # the line's longest call; None = the centre's default
    self_service_url: str | None = None      # the department system asked by self-service (互联互通)

    @classmethod
    def of(cls, line: Line) -> "LineInfo":
        return cls(**{f.name: getattr(line, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class QueueInfo:
    name: str
    max_wait_seconds: int
    overflow: str | None


@dataclass(frozen=True)
class Snapshot:
    lines: dict[str, LineInfo]
    queues: dict[str, QueueInfo]
    settings: dict[str, str]
    loaded_at: float
    source: int = 0          # which engine it came from (a process may talk to more than one database)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)   # with the admin's overrides
    menus: dict[str, Menu] | None = None    # shipped menus with the admin's saved ones over them (None: shipped)

    def line(self, number: str) -> LineInfo | None:
        return self.lines.get(number)

    def line_by_id(self, line_id: int | None) -> LineInfo | None:
        return next((line for line in self.lines.values() if line.id == line_id), None)

    def menu_enabled(self, line: LineInfo | None) -> bool:
        return switches.menu_on(line, self.settings.get(switches.CENTRE_MENU_KEY))

    def surge_prompt(self) -> str | None:
        """The supervisor's hot-topic announcement, if it is on and its file is there."""
        return surge.playable_prompt(self.settings.get(surge.PROMPT_KEY))


def load(session: Session) -> Snapshot:
    lines = {line.number: LineInfo.of(line) for line in session.scalars(select(Line))}
    queues = {q.name: QueueInfo(q.name, q.max_wait_seconds, q.overflow_queue.name if q.overflow_queue else None)
              for q in session.scalars(select(Queue))}
    settings = {s.key: s.value for s in session.scalars(select(CentreSetting))}
    return Snapshot(lines, queues, settings, time.monotonic(), id(session.get_bind()),
                    calendar=calendar_repo.work_calendar(session), menus=effective_menus(session))


class SnapshotCache:
    """One snapshot per process; a single thread reloads it while the others keep using the old one."""

    def __init__(self, ttl: float = TTL):
        self.ttl = ttl
        self._snapshot: Snapshot | None = None
        self._reloading = threading.Lock()

    def get(self, session: Session) -> Snapshot:
        snap = self._snapshot
        if snap is not None and snap.source != id(session.get_bind()):
            snap = self._snapshot = None
        if snap is not None and time.monotonic() - snap.loaded_at < self.ttl:
            return snap
        if snap is not None and not self._reloading.acquire(blocking=False):
            return snap                      # someone else is reloading: the old one is fine for now
        if snap is None:
            self._reloading.acquire()
        try:
            if self._snapshot is snap:       # nobody reloaded meanwhile
                self._snapshot = load(session)
            return self._snapshot
        finally:
            self._reloading.release()

    def invalidate(self) -> None:
        self._snapshot = None


CACHE = SnapshotCache()
