"""Call-record jobs for rq: parked fallback calls into records, stale records closed.

Small and idempotent: rq may run a job twice.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from calls.unrecorded import reconcile
from db.models import Call, CallOutcome
from db.session import make_engine, make_session_factory, session_scope, utcnow
from hotline.config import current_settings

STALE_CALL_HOURS = 6


def close_stale_calls(database_url: str, hours: int = STALE_CALL_HOURS) -> int:
    """Close call records left open (a hangup handler that never reached Python).

    Such a row would count forever as "in progress" on the wallboard and in KPIs.
    """
    cutoff = utcnow() - dt.timedelta(hours=hours)
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            stale = session.scalars(select(Call).where(Call.ended_at.is_(None), Call.arrived_at < cutoff)).all()
            for call in stale:
                call.ended_at = call.arrived_at
                call.outcome = CallOutcome.answered if call.answered_at else CallOutcome.abandoned
                call.hangup_cause = "stale"
            return len(stale)
    finally:
        engine.dispose()


def record_unrecorded_calls() -> int:
    """Calls that reached a human while Python was away become call records (see calls.unrecorded)."""
    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        return reconcile(settings, make_session_factory(engine))
    finally:
        engine.dispose()


def close_stale_calls_now() -> int:
    return close_stale_calls(current_settings().database_url)
