"""The callback list as data (what ``GET /api/v1/callbacks`` returns) and its figures.

Figures: callback rate (回拨率) = requests reached / requests that could be dialed;
time to callback (回拨时长) = first missed call → the citizen answered; on-target share =
reached by the target time (30 minutes of calling window).
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import select

from db.models import Callback, CallbackStatus

STATUSES = tuple(s.value for s in CallbackStatus)


def _iso(value):
    return value.isoformat(timespec="seconds") + "Z" if value else None


def attempt_as_dict(a) -> dict:
    return {"number": a.number, "outcome": a.outcome.value, "claimed_by": a.claimed_by,
            "claimed_at": _iso(a.claimed_at), "ended_at": _iso(a.ended_at), "hangup_cause": a.hangup_cause,
            "agent": a.agent.number if a.agent else None}


def callback_as_dict(c: Callback, *, mask) -> dict:
    return {"id": c.id, "caller": mask(c.caller), "centre_day": c.centre_day.isoformat(), "source": c.source,
            "status": c.status.value, "missed_count": c.missed_count, "attempt_count": c.attempt_count,
            "created_at": _iso(c.created_at), "due_at": _iso(c.due_at), "next_attempt_at": _iso(c.next_attempt_at),
            "reached_at": _iso(c.reached_at),
            "calls": [call.uniqueid for call in c.calls],
            "attempts": [attempt_as_dict(a) for a in c.attempts]}


def list_callbacks(session, *, day: dt.date | None = None, status: str | None = None, limit: int = 100):
    query = select(Callback).order_by(Callback.due_at)
    if day is not None:
        query = query.where(Callback.centre_day == day)
    if status is not None:
        query = query.where(Callback.status == CallbackStatus(status))
    return session.scalars(query.limit(limit)).all()


def figures(callbacks) -> dict:
    dialable = [c for c in callbacks if c.status != CallbackStatus.undialable]
    reached = [c for c in dialable if c.reached_at is not None]
    seconds = [(c.reached_at - c.created_at).total_seconds() for c in reached]
    return {
        "requests": len(callbacks),
        "dialable": len(dialable),
        "reached": len(reached),
        "callback_rate": round(len(reached) / len(dialable), 4) if dialable else None,
        "median_seconds_to_callback": round(statistics.median(seconds), 1) if seconds else None,
        "on_target_rate": round(sum(1 for c in reached if c.reached_at <= c.due_at) / len(reached), 4)
        if reached else None,
    }
