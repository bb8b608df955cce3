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


def run_worker(settings: Settings) -> None:
    from rq import Queue, Worker

    from hotline.redis_conn import redis_client
    from queue_logic.keys import Keys

    conn = redis_client(settings, check=True)
    keys = Keys(settings.redis_prefix)
    queue = Queue(keys.rq_queue, connection=conn)
    queue.enqueue_in(dt.timedelta(seconds=5), close_stale_calls, settings.database_url,
                     job_id=keys.job_id("close-stale-calls"), result_ttl=3600)
    worker = Worker([queue], connection=conn, name=worker_name(settings, os.getpid()))
    worker.work(with_scheduler=True, logging_level="INFO")
