"""Retention (保存期限) of recordings and call records, and the purge job that enforces it.

``HOTLINE_RETENTION_RECORDING_DAYS`` (default 180): a call's recording is
deleted that many days after the call; the call record stays, without it.
A citizen's message (留言, ``voicemail_file``) is a recording too and goes the same way.
``HOTLINE_RETENTION_CALL_DAYS`` (default 730): the call record itself (the
citizen's number, times, path through the IVR) is deleted, with its link to
tickets. 0 keeps them forever. A call linked to a ticket that is still being
handled is kept, with its recording, until the ticket is closed.

The job is idempotent (rq may run it twice): each batch re-selects what is
still due in its own transaction, and a recording file already gone is fine.
Only files inside the recordings folder are ever deleted.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from db.models import Call, Ticket, TicketState, ticket_calls
from db.repositories import security_audit
from db.session import make_engine, make_session_factory, session_scope, utcnow

log = logging.getLogger("privacy.retention")

BATCH = 500
FINISHED = (TicketState.closed, TicketState.archived, TicketState.merged)


def purge_expired_records(database_url: str, recordings_dir: Path | str, *, recording_days: int, call_days: int,
                          now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; returns counts (rq job: pass plain values, no objects)."""
    now = now or utcnow()
    folder = Path(recordings_dir).resolve()
    done = {"recordings": 0, "calls": 0, "files": 0, "orphan_files": 0}
    engine = make_engine(database_url)
    try:
        factory = make_session_factory(engine)
        if recording_days > 0:
            cutoff = now - dt.timedelta(days=recording_days)
            while batch := _in_batch(factory, _recordings_due(cutoff), lambda s, call: _drop_recording(
                    call, folder, done)):
                done["recordings"] += batch
            done["orphan_files"] = _sweep_folder(folder, cutoff, factory)
        if call_days > 0:
            cutoff = now - dt.timedelta(days=call_days)
            while batch := _in_batch(factory, _calls_due(cutoff), lambda s, call: (
                    _drop_recording(call, folder, done), s.delete(call))):
                done["calls"] += batch
        if any(done.values()):
            with session_scope(factory) as session:
                security_audit.record(session, "records_purged", actor="retention",
                                      detail=", ".join(f"{k}={v}" for k, v in done.items()) +
                                      f" (recordings after {recording_days} d, calls after {call_days} d)")
    finally:
        engine.dispose()
    log.info("retention purge: %s", done)
    return done


def _not_in_open_ticket():
    return ~exists().where(and_(ticket_calls.c.call_id == Call.id, ticket_calls.c.ticket_id == Ticket.id,
                                Ticket.state.not_in(FINISHED)))


def _recordings_due(cutoff: dt.datetime):
    return (select(Call).where(or_(Call.recording_file.is_not(None), Call.voicemail_file.is_not(None)),
                               Call.arrived_at < cutoff, _not_in_open_ticket())
            .order_by(Call.id).limit(BATCH))


def _calls_due(cutoff: dt.datetime):
    # a call still in progress has no end: never purge it, whatever its age
    return (select(Call).where(Call.arrived_at < cutoff, Call.ended_at.is_not(None), _not_in_open_ticket())
            .order_by(Call.id).limit(BATCH))


def _in_batch(factory, query, act) -> int:
    with session_scope(factory) as session:
        calls = list(session.scalars(query.with_for_update(skip_locked=True)))
        for call in calls:
            act(session, call)
        return len(calls)


def _drop_recording(call: Call, folder: Path, done: dict[str, int]) -> None:
    if call.recording_file:
        if _delete_inside(Path(call.recording_file), folder):
            done["files"] += 1
        call.recording_file = None
    if call.voicemail_file:
        if _delete_inside(Path(call.voicemail_file), folder):
            done["files"] += 1
        call.voicemail_file = None


def _delete_inside(path: Path, folder: Path) -> bool:
    path = path.resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return False
    path.unlink(missing_ok=True)
    return True


def _sweep_folder(folder: Path, cutoff: dt.datetime, factory) -> int:
    """Recording files older than the cutoff that no call record points to (e.g. a record never written)."""
    if not folder.is_dir():
        return 0
    limit = cutoff.replace(tzinfo=dt.timezone.utc).timestamp()
    with factory() as session:
        kept = {str(Path(p).resolve()) for p in session.scalars(select(Call.recording_file).where(
            Call.recording_file.is_not(None)))}
        kept |= {str(Path(p).resolve()) for p in session.scalars(select(Call.voicemail_file).where(
            Call.voicemail_file.is_not(None)))}
    removed = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_mtime < limit and str(path.resolve()) not in kept:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def purge_job(settings_env: dict[str, str] | None = None) -> dict[str, int]:
    """Entry point for the scheduler (daily): the installation's own settings."""
    from hotline.config import Settings

    settings = Settings.from_env(settings_env)
    return purge_expired_records(settings.database_url, settings.recordings_dir,
                                 recording_days=settings.retention_recording_days,
                                 call_days=settings.retention_call_days)


def due_counts(session: Session, *, recording_days: int, call_days: int, now: dt.datetime | None = None) -> dict:
    """What a purge would delete now (for the admin page and a dry run)."""
    from sqlalchemy import func

    now = now or utcnow()
    out = {"recordings": 0, "calls": 0}
    if recording_days > 0:
        q = _recordings_due(now - dt.timedelta(days=recording_days)).limit(None).order_by(None)
        out["recordings"] = session.scalar(select(func.count()).select_from(q.subquery()))
    if call_days > 0:
        q = _calls_due(now - dt.timedelta(days=call_days)).limit(None).order_by(None)
        out["calls"] = session.scalar(select(func.count()).select_from(q.subquery()))
    return out
