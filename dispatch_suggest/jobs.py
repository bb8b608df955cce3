"""The rq job that retrains the dispatch suggestion (智能派单) from the centre's history. Idempotent.

A run that finds the same history as the stored model's (same fingerprint)
keeps the model and its version; so a job that runs twice, or a nightly run on
a quiet day, changes nothing. The model file is replaced atomically, so the
web panel never reads half a model. Scheduling: ``retrain_now`` is meant for
``hotline.jobs.PERIODIC`` (daily), and ``enqueue_retrain`` queues one run now
(e.g. from an admin's button or the CLI) under a fixed job id.
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from db.session import make_engine, make_session_factory, utcnow
from dispatch_suggest import store
from dispatch_suggest.model import NotEnoughHistory
from dispatch_suggest.training import train_from_database

log = logging.getLogger("dispatch_suggest.jobs")

RETRAIN_INTERVAL_SECONDS = 24 * 3600  # nightly is enough: a department's duties change slowly
HISTORY_DAYS = 365                    # older tickets may have gone to departments since reorganised
JOB_TIMEOUT_SECONDS = 900


def retrain(database_url: str, run_dir: str, now: dt.datetime | None = None,
            history_days: int = HISTORY_DAYS) -> dict:
    """Train on the last ``history_days`` of tickets and store the model; says what it did."""
    now = now or utcnow()
    path = store.model_path(Path(run_dir))
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            model, trained = train_from_database(session, path, now=now,
                                                 since=now - dt.timedelta(days=history_days))
    except NotEnoughHistory as thin:
        log.info("dispatch suggestion not trained: %s", thin)
        outcome = {"status": "not_enough_history", "message": str(thin), "path": str(path)}
    else:
        if trained:
            log.info("dispatch suggestion model v%d trained on %s", model.version, model.counts)
        outcome = {"status": "trained" if trained else "unchanged", "version": model.version,
                   "trained_at": model.info()["trained_at"], "examples": model.counts, "path": str(path)}
    finally:
        engine.dispose()
    store.write_last_run(path, {**outcome, "ran_at": now.isoformat(timespec="seconds") + "Z"})
    return outcome


def enqueue_retrain(settings, connection):
    """Queue one retrain now on the installation's rq queue; one job id, so a second click queues nothing new."""
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from hotline.keys import Keys

    keys = Keys(settings.redis_prefix)
    job_id = keys.job_id("dispatch-suggest-retrain")
    try:
        waiting = Job.fetch(job_id, connection=connection)
        if waiting.get_status(refresh=False) in ("queued", "started", "scheduled", "deferred"):
            return waiting
    except NoSuchJobError:
        pass
    queue = Queue(keys.rq_queue, connection=connection)
    return queue.enqueue(retrain, settings.database_url, str(settings.run_dir),
                         job_id=job_id, job_timeout=JOB_TIMEOUT_SECONDS,
                         result_ttl=RETRAIN_INTERVAL_SECONDS, failure_ttl=7 * 86400)


def retrain_now() -> dict:
    """The periodic entry point (for ``hotline.jobs.PERIODIC``): this process's settings."""
    from hotline.config import current_settings

    settings = current_settings()
    return retrain(settings.database_url, str(settings.run_dir))
