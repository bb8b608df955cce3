"""The rq worker and the periodic jobs, run by rq's own cron scheduler (rq.cron.CronScheduler).

Two supervised processes: `hotline worker` runs the jobs, `hotline cron`
enqueues the periodic ones. The schedule lives in the cron process's memory,
not in Redis, so a Redis restart (which loses every key) cannot end it: the
scheduler keeps trying while Redis is away and enqueues again once it is back.
Before, each job scheduled its own next run; one lost key ended the chain
for good, silently.

Both processes re-register themselves in Redis when a restart has wiped their
registration, so `hotline status` (which asks Redis as well as supervisord)
tells the truth. The jobs themselves live with their domain (``calls.jobs``,
``tickets.jobs``): small and idempotent, because rq may run a job twice.
"""
from __future__ import annotations

import importlib
import logging
import os
import time

import redis

from hotline.config import Settings
from hotline.redis_conn import TroubleLog

log = logging.getLogger("ops.scheduler")

# (interval seconds, function path)
PERIODIC: list[tuple[int, str]] = [
    (30, "calls.jobs.record_unrecorded_calls"),
    (30, "voicemail.jobs.take_pending_voicemails"),   # 留言 of calls recorded late → tickets, callbacks
    (3600, "calls.jobs.close_stale_calls_now"),
    (86400, "calls.jobs.rotate_cdr_now"),          # the PBX's minimal CDR file (calls/cdr.py)
    # tickets: 签收催办 reminders, 逾期督办 escalation, and the notification sweep
    (60, "tickets.jobs.watch_now"),
    # privacy: recordings and call records past their retention (HOTLINE_RETENTION_*_DAYS)
    (86400, "privacy.retention.purge_job"),
    (60, "callbacks.jobs.place_callbacks_now"),   # 漏接回拨: list missed calls, dial what is due
    (60, "callbacks.jobs.place_return_visits_now"),   # 回访: approved replies' return-visit calls
    # 智能派单: the dispatch suggestion learns from the day's dispatched, accepted and returned tickets
    (86400, "dispatch_suggest.jobs.retrain_now"),
    # 逐步整合: staged configuration changes (a line merged on 2027-01-01) applied when due
    (30, "centre_config.jobs.apply_staged_changes"),
    # 电话常见问题: the FAQ articles' prompts, should an edit's own job have been lost (Redis down)
    (300, "ivr.article_prompts.build_now"),
    # 指标汇总: KPI roll-ups of the days that changed, and yesterday once over; nightly yesterday again in full
    (300, "kpis.rollup_build.roll_dirty_now"),
    (86400, "kpis.rollup_build.roll_yesterday_now"),
]
PERIODIC_JOB_TIMEOUT = 900   # seconds; retraining on a large history takes minutes
CRON_HEARTBEAT = 5       # seconds between the cron scheduler's heartbeats (and its longest sleep)
CRON_ALIVE = 20          # a heartbeat older than this: the scheduler is not working


def worker_name(settings: Settings, pid: int) -> str:
    return f"{settings.redis_prefix.rstrip(':')}-worker-{pid}"


def cron_name(settings: Settings, pid: int) -> str:
    return f"{settings.redis_prefix.rstrip(':')}-cron-{pid}"


def _queue_name(settings: Settings) -> str:
    from hotline.keys import Keys

    return Keys(settings.redis_prefix).rq_queue


# --- the worker -------------------------------------------------------------------------------
def run_worker(settings: Settings) -> None:
    from rq import Queue, Worker, worker_registration

    from hotline.redis_conn import redis_client

    class HotlineWorker(Worker):
        """rq's Worker that registers itself again when Redis lost its registration (a restart)."""

        def heartbeat(self, timeout=None, pipeline=None):
            if pipeline is None and not self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
                log.warning("worker registration gone from Redis (restarted?): registering again")
                self.connection.delete(self.key)     # a heartbeat may have left a partial hash
                self.register_birth()
            super().heartbeat(timeout, pipeline)

    conn = redis_client(settings, check=True)
    queue = Queue(_queue_name(settings), connection=conn)
    worker = HotlineWorker([queue], connection=conn, name=worker_name(settings, os.getpid()))
    worker.max_connection_wait_time = 2     # back within ~2 s of Redis returning, not rq's 60 s
    worker.work(with_scheduler=True, logging_level="INFO")


def worker_registered(settings: Settings, pid: int) -> bool:
    from rq import Worker

    from hotline.redis_conn import redis_client

    try:
        return any(w.name == worker_name(settings, pid) for w in Worker.all(connection=redis_client(settings)))
    except redis.RedisError:
        return False


# --- the periodic jobs --------------------------------------------------------------------------
def run_periodic(func_path: str) -> object:
    """What the cron scheduler enqueues: the job named by its dotted path."""
    module, _, name = func_path.rpartition(".")
    return getattr(importlib.import_module(module), name)()


def build_cron(settings: Settings, conn: redis.Redis, periodic=None):
    from rq.cron import CronScheduler

    cron = CronScheduler(connection=conn, name=cron_name(settings, os.getpid()))
    for interval, func_path in (PERIODIC if periodic is None else periodic):
        cron.register(run_periodic, _queue_name(settings), args=(func_path,), interval=interval,
                      job_timeout=PERIODIC_JOB_TIMEOUT,
                      result_ttl=max(interval * 2, 60), failure_ttl=86400, name=f"{settings.redis_prefix}{func_path}")
    return cron


def run_cron(settings: Settings, periodic=None, stop=None) -> None:
    """`hotline cron`: enqueue every periodic job at its interval, surviving Redis restarts and outages."""
    import signal

    from hotline.redis_conn import redis_client

    conn = redis_client(settings, check=True)
    cron = build_cron(settings, conn, periodic)
    stopping = []
    if stop is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(1))
        stop = lambda: bool(stopping)   # noqa: E731
    trouble = TroubleLog(log, "cron scheduler: Redis")
    cron.register_birth()
    log.info("cron scheduler %s: %d periodic jobs", cron.name, len(cron.get_jobs()))
    try:
        while not stop():
            try:
                if cron.enqueue_jobs():
                    cron.save()
                cron.heartbeat()            # re-registers itself when a restart wiped the registry
                trouble.ok()
            except redis.RedisError as e:
                trouble.failed(e)
            wait = min(cron.calculate_sleep_interval(), CRON_HEARTBEAT)
            deadline = time.monotonic() + wait
            while not stop() and time.monotonic() < deadline:
                time.sleep(min(0.2, wait))
    finally:
        try:
            cron.register_death()
        except redis.RedisError:
            pass


def cron_alive(settings: Settings, pid: int) -> bool:
    """The cron scheduler of process ``pid`` has a fresh heartbeat in Redis."""
    from rq import cron_scheduler_registry

    from hotline.redis_conn import redis_client

    try:
        score = redis_client(settings).zscore(cron_scheduler_registry.get_registry_key(), cron_name(settings, pid))
    except redis.RedisError:
        return False
    return score is not None and time.time() - score < CRON_ALIVE
