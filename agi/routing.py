"""Where an inbound call goes, decided from the number the citizen dialed (DNIS).

Pure decision: the inbound handler loads the line, asks here, and sets the
channel variables; the dialplan carries the call out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.models import Line, Queue
from db.repositories import lines as line_repo

MAIN_QUEUE = "12345"


@dataclass(frozen=True)
class Route:
    kind: str                       # dialplan context suffix: hotline-route-<kind>
    queue: str = MAIN_QUEUE
    queue_timeout: int | None = None
    overflow_queue: str | None = None
    line: Line | None = None
    reason: str = ""                # why, for the log


def line_is_active(line: Line, now: dt.datetime) -> bool:
    if not line.active:
        return False
    if line.active_from and now < line.active_from:
        return False
    if line.active_until and now >= line.active_until:
        return False
    return True


def decide(session: Session, dialed_number: str, now: dt.datetime) -> Route:
    line = line_repo.find_by_number(session, dialed_number)
    if line is None:
        return _queue_route(session, MAIN_QUEUE, None, f"{dialed_number or '(none)'} is not a configured line")
    if not line_is_active(line, now):  # as if not configured; the dialed number is still recorded
        return _queue_route(session, MAIN_QUEUE, None, f"line {line.number} is outside its active window")
    return _queue_route(session, line.queue_name or MAIN_QUEUE, line, f"line {line.number} ({line.mode})")


def _queue_route(session: Session, queue_name: str, line: Line | None, reason: str) -> Route:
    queue = session.query(Queue).filter_by(name=queue_name).one_or_none()
    if queue is None and queue_name != MAIN_QUEUE:
        reason += f"; queue {queue_name} does not exist, using {MAIN_QUEUE}"
        queue_name, queue = MAIN_QUEUE, session.query(Queue).filter_by(name=MAIN_QUEUE).one_or_none()
    overflow = queue.overflow_queue.name if queue is not None and queue.overflow_queue else None
    return Route(kind="queue", queue=queue_name,
                 queue_timeout=queue.max_wait_seconds if (queue is not None and overflow) else None,
                 overflow_queue=overflow, line=line, reason=reason)
