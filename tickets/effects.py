"""Side effects that must wait for the commit (通知, calls): collected on the session, run after it.

A transition that is rolled back must not have told anyone anything, so
services register effects with ``after_commit`` and a dispatcher bound to the
session runs them once the transaction is durable. The work itself is
recorded in the database first (notification rows): an effect lost because
Redis was down is picked up by the periodic sweep, never lost.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from hotline.keys import Keys
from hotline.redis_conn import redis_client

log = logging.getLogger("tickets.effects")

_PENDING = "ticket_effects_pending"
_DISPATCHER = "ticket_effects_dispatcher"

Dispatcher = Callable[..., Any]  # dispatcher(effect_name, *args)


def bind(session: Session, dispatcher: Dispatcher | None) -> Session:
    """Effects committed in ``session`` go to ``dispatcher`` (None: left to the sweep)."""
    session.info[_DISPATCHER] = dispatcher
    return session


def after_commit(session: Session, name: str, *args: Any) -> None:
    session.info.setdefault(_PENDING, []).append((name, args))


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    dispatcher = session.info.get(_DISPATCHER)
    if not pending or dispatcher is None:
        return
    for name, args in pending:
        try:
            dispatcher(name, *args)
        except Exception:  # the commit stands; the sweep delivers what failed here
            log.exception("side effect %s%r could not be queued; the sweep will retry", name, args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


class RqDispatcher:
    """Queue each effect as an rq job ``tickets.jobs.<name>(database_url, *args)``."""

    def __init__(self, settings):
        self.settings = settings

    def __call__(self, name: str, *args: Any) -> None:

        keys = Keys(self.settings.redis_prefix)
        queue = Queue(keys.rq_queue, connection=redis_client(self.settings))
        queue.enqueue(f"tickets.jobs.{name}", self.settings.database_url, *args,
                      job_id=keys.job_id(f"{name}-{'-'.join(map(str, args))}"), result_ttl=3600,
                      failure_ttl=86400)


class RecordingDispatcher(list):
    """Keeps effects in a list (tests, and a web app configured with TICKET_EFFECTS="record")."""

    def __call__(self, name: str, *args: Any) -> None:
        self.append((name, *args))
