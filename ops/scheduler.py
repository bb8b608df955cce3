"""The rq worker and the periodic chains it keeps going (with rq's scheduler).

The jobs themselves live with their domain (``calls.jobs``, ``tickets.jobs``):
small and idempotent, because rq may run a job twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import os

from hotline.config import Settings

log = logging.getLogger("ops.scheduler")


def worker_name(settings: Settings, pid: int) -> str:
    return f"{settings.redis_prefix.rstrip(':')}-worker-{pid}"


# --- periodic jobs ----------------------------------------------------------------
# (interval seconds, function path). Each run schedules the next one; a Redis lock
# per job keeps two workers (or a restarted one) from running two chains at once.
PERIODIC: list[tuple[int, str]] = [
    (30, "calls.jobs.record_unrecorded_calls"),
    (3600, "calls.jobs.close_stale_calls_now"),
    # tickets: 签收催办 reminders, 逾期督办 escalation, and the notification sweep
    (60, "tickets.jobs.watch_now"),
    # privacy: recordings and call records past their retention (HOTLINE_RETENTION_*_DAYS)
    (86400, "privacy.retention.purge_job"),
    (60, "callbacks.jobs.place_callbacks_now"),   # 漏接回拨: list missed calls, dial what is due
]


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
    from hotline.keys import Keys

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

    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    conn = redis_client(settings, check=True)
    keys = Keys(settings.redis_prefix)
    queue = Queue(keys.rq_queue, connection=conn)
    for interval, func_path in PERIODIC:
        _schedule(queue.name, conn, func_path, interval, delay=0)
    worker = Worker([queue], connection=conn, name=worker_name(settings, os.getpid()))
    worker.work(with_scheduler=True, logging_level="INFO")
