"""The retrain job on real Redis with a real rq worker: idempotent, queued once, and its periodic entry point."""
from __future__ import annotations

import datetime as dt
import secrets

import pytest
from rq import Queue, SimpleWorker

from db.session import utcnow
from dispatch_suggest import jobs, store
from hotline.config import Settings
from hotline.keys import Keys
from hotline.redis_conn import redis_client

# the job learns from the last year (jobs.HISTORY_DAYS) before the real now: write the history a month ago
RECENT = utcnow().replace(hour=2, minute=0, second=0, microsecond=0) - dt.timedelta(days=30)


@pytest.fixture
def settings(database_url, passwords, tmp_path):
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": f"hltest-suggest-{secrets.token_hex(4)}:"})
    client = redis_client(settings, check=True)
    yield settings
    for key in client.scan_iter(f"*{settings.redis_prefix.rstrip(':')}*"):
        client.delete(key)


def run_queued(settings) -> list:
    conn = redis_client(settings)
    queue = Queue(Keys(settings.redis_prefix).rq_queue, connection=conn)
    jobs_before = queue.get_job_ids()
    SimpleWorker([queue], connection=conn).work(burst=True)
    return [queue.fetch_job(job_id) for job_id in jobs_before]


def test_the_worker_retrains_once_and_a_second_run_changes_nothing(settings, history):
    conn = redis_client(settings)
    first = jobs.enqueue_retrain(settings, conn)
    assert jobs.enqueue_retrain(settings, conn).id == first.id  # a second click while queued: still one job
    [ran] = run_queued(settings)
    assert ran.get_status() == "finished" and ran.return_value()["status"] == "not_enough_history"
    assert not store.model_path(settings.run_dir).exists()

    history(60, start=RECENT)
    jobs.enqueue_retrain(settings, conn)
    [ran] = run_queued(settings)
    result = ran.return_value()
    assert result["status"] == "trained" and result["version"] == 1 and result["examples"]["accepted"] == 60
    model = store.load(store.model_path(settings.run_dir))
    assert model.version == 1 and model.trained_at.isoformat(timespec="seconds") + "Z" == result["trained_at"]

    jobs.enqueue_retrain(settings, conn)  # finished before: queued again, and runs on the same history
    [ran] = run_queued(settings)
    assert ran.return_value()["status"] == "unchanged" and ran.return_value()["version"] == 1
    assert store.load(store.model_path(settings.run_dir)).trained_at == model.trained_at


def test_the_periodic_entry_point_uses_this_process_settings(settings, history, monkeypatch):
    from hotline.config import current_settings

    history(40, start=RECENT)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(settings.run_dir))
    current_settings.cache_clear()
    try:
        done = jobs.retrain_now()
    finally:
        current_settings.cache_clear()
    assert done["status"] == "trained" and done["path"] == str(store.model_path(settings.run_dir))
