"""Background jobs (rq) and the worker that runs them with the scheduler.

Jobs are small and idempotent: rq may run a job twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from hotline.config import Settings

log = logging.getLogger("hotline.jobs")

STALE_CALL_HOURS = 6


def worker_name(settings: Settings, pid: int) -> str:
    return f"{settings.redis_prefix.rstrip(':')}-worker-{pid}"


def close_stale_calls(database_url: str, hours: int = STALE_CALL_HOURS) -> int:
    """Close call records left open (a hangup handler that never reached Python).

    Such a row would count forever as "in progress" on the wallboard and in KPIs.
    """
    from sqlalchemy import select

    from db.models import Call, CallOutcome
    from db.session import make_engine, make_session_factory, session_scope, utcnow

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
    """Calls that reached a human while Python was away become call records (see hotline.unrecorded_calls)."""
    from db.session import make_engine, make_session_factory
    from hotline.config import current_settings
    from hotline.unrecorded_calls import reconcile

    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        return reconcile(settings, make_session_factory(engine))
    finally:
        engine.dispose()


# --- periodic jobs ----------------------------------------------------------------
# (interval seconds, function path). Each run schedules the next one; a Redis lock
# per job keeps two workers (or a restarted one) from running two chains at once.
PERIODIC: list[tuple[int, str]] = [
    (30, "hotline.jobs.record_unrecorded_calls"),
    (3600, "hotline.jobs.close_stale_calls_now"),
    # tickets: 签收催办 reminders, 逾期督办 escalation, and the notification sweep
    (60, "tickets.jobs.watch_now"),
]


def close_stale_calls_now() -> int:
    from hotline.config import current_settings

    return close_stale_calls(current_settings().database_url)


def run_periodic(func_path: str, interval: int) -> object:
    """Run one periodic job, then schedule its next run (after the interval, even if this one failed)."""
    import importlib

    from rq import get_current_job

    module, _, name = func_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)()
    finally:
        job = get_current_job()
        if job is not None:
            _schedule(job.origin, job.connection, func_path, interval, delay=interval)


def _schedule(queue_name: str, conn, func_path: str, interval: int, delay: int) -> None:
    from rq import Queue

    from hotline.config import current_settings
    from queue_logic.keys import Keys

    keys = Keys(current_settings().redis_prefix)
    lock = keys.job_id(f"periodic-{func_path}")
    # the lock lives a little longer than the interval: a chain that died is restarted by the next worker start
    if delay == 0 and not conn.set(lock, "1", nx=True, ex=interval + 60):
        return
    conn.set(lock, "1", ex=interval + 60)
    Queue(queue_name, connection=conn).enqueue_in(dt.timedelta(seconds=delay), run_periodic, func_path, interval,
                                                  result_ttl=interval * 2, failure_ttl=86400)


def run_worker(settings: Settings) -> None:
    from rq import Queue, Worker

    from hotline.redis_conn import redis_client
    from queue_logic.keys import Keys

    conn = redis_client(settings, check=True)
    keys = Keys(settings.redis_prefix)
    queue = Queue(keys.rq_queue, connection=conn)
    for interval, func_path in PERIODIC:
        _schedule(queue.name, conn, func_path, interval, delay=0)
    worker = Worker([queue], connection=conn, name=worker_name(settings, os.getpid()))
    worker.work(with_scheduler=True, logging_level="INFO")
