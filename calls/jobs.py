"""Call-record jobs for rq: parked fallback calls into records, stale records closed.

Small and idempotent: rq may run a job twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select

from calls.cdr import cdr_file, channel_ends, rotate
from calls.unrecorded import reconcile
from db.models import Call, CallOutcome
from db.repositories import calls as call_repo
from db.session import make_engine, make_session_factory, session_scope, utcnow
from hotline.ami import AmiClient
from hotline.config import Settings, current_settings

log = logging.getLogger(__name__)

STALE_CALL_HOURS = 6
STALE_CAUSE = "stale"


def close_stale_calls(database_url: str, hours: int = STALE_CALL_HOURS,
                      still_up: Callable[[str], bool] = lambda uniqueid: False,
                      real_ends: Callable[[list[str]], dict[str, dt.datetime]] = lambda uniqueids: {}) -> int:
    """Close call records left open (a hangup that never reached Python) with what Asterisk knows.

    Such a row would count forever as "in progress" on the wallboard and in KPIs.
    A call Asterisk still carries (``still_up``) is really in progress and is left alone.
    The end comes from the PBX's CDR (``real_ends``: uniqueid → end); an answered call
    with a real end is ``answered``. Anything else is ``unknown`` and no end is
    invented when none is known; service-level figures leave ``unknown`` out
    (docs/call-records.md).
    """
    cutoff = utcnow() - dt.timedelta(hours=hours)
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            stale = session.scalars(select(Call).where(Call.ended_at.is_(None), Call.outcome.is_(None),
                                                       Call.arrived_at < cutoff)).all()
            gone = [call for call in stale if not still_up(call.uniqueid)]
            ends = real_ends([call.uniqueid for call in gone]) if gone else {}
            for call in gone:
                end = ends.get(call.uniqueid)
                if end is not None and call.answered_at is not None:
                    call_repo.close_call(call, outcome=CallOutcome.answered, hangup_cause=STALE_CAUSE, at=end)
                    continue
                call.outcome = CallOutcome.unknown
                call.hangup_cause = STALE_CAUSE
                call.ended_at = end        # the real end, or none
            return len(gone)
    finally:
        engine.dispose()


def live_uniqueids(settings: Settings) -> set[str]:
    """Unique ids of every channel the PBX carries now (AMI CoreShowChannels)."""
    with AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("reconcile")) as ami:   # the worker's user
        return {e.get("Uniqueid", "") for e in ami.action_list("CoreShowChannels")
                if e.get("Event") == "CoreShowChannel"}


def record_unrecorded_calls() -> int:
    """Calls whose facts were parked in AstDB become call records (see calls.unrecorded)."""
    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        return reconcile(settings, make_session_factory(engine))
    finally:
        engine.dispose()


def close_stale_calls_now() -> int:
    settings = current_settings()
    try:
        live = live_uniqueids(settings)
    except Exception as exc:   # no word from Asterisk: better leave them open than mark live calls unknown
        log.warning("stale calls left for later: cannot ask the PBX which calls are up (%s)", exc)
        return 0
    return close_stale_calls(settings.database_url, still_up=live.__contains__,
                             real_ends=lambda uniqueids: channel_ends(cdr_file(settings), uniqueids))


def rotate_cdr_now() -> int:
    """Daily: the PBX's minimal CDR file is rotated and week-old parts removed (calls.cdr.rotate)."""
    return len(rotate(cdr_file(current_settings()), utcnow()))
