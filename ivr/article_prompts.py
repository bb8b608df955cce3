"""The rq job that (re)generates the FAQ articles' prompts (ivr.faq) after an article changed. Idempotent.

An edit in the knowledge base (web/knowledge.py, after the commit) enqueues ``build_now``; the
cron scheduler runs it every few minutes too (ops/scheduler.py), so an enqueue lost while Redis
was down only delays a new prompt, and until it exists the article is simply not offered.
The job is the ordinary prompts build over every text (shipped, departments, articles): it makes
what is missing, keeps what is unchanged and every recording, and removes the generated prompts
of old article texts. Two builds at once wait for each other (the build's lock).
"""
from __future__ import annotations

import logging

log = logging.getLogger("ivr.article_prompts")

JOB_TIMEOUT_SECONDS = 600
INTERVAL_SECONDS = 300   # the periodic safety net (ops/scheduler.py PERIODIC)


def build_prompts(settings) -> dict:
    """Build the prompts folder from every text; what it did, as JSON-able counts."""
    from db.session import session_factory_for, session_scope
    from ivr.department_prompts import all_texts
    from ivr.prompts import build

    with session_scope(session_factory_for(settings.database_url)) as session:
        texts = all_texts(session)
    report = build(settings, texts=texts)
    for warning in report.warnings:
        log.warning("prompts: %s", warning)
    if report.generated or report.removed:
        log.info("prompts: %s", report.summary())
    return {"generated": report.generated, "removed": report.removed, "recorded": len(report.recorded),
            "unchanged": len(report.unchanged), "seconds": round(report.seconds, 2)}


def build_now() -> dict:
    """The rq entry point (an article changed, or the periodic run): this process's settings."""
    from hotline.config import current_settings

    return build_prompts(current_settings())


def enqueue(settings, connection):
    """Queue one build now on the installation's rq queue (each edit its own job: a build is cheap when
    nothing changed, and one enqueued while another runs must still see the newest text)."""
    from rq import Queue

    from hotline.keys import Keys

    queue = Queue(Keys(settings.redis_prefix).rq_queue, connection=connection)
    return queue.enqueue(build_now, job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=3600, failure_ttl=86400)
