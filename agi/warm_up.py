"""Warm-up (预热): the first citizen's call costs what every other call costs.

A freshly started FastAGI server pays once for the routing snapshot, the menus'
YAML, the database connection and SQLAlchemy's compiled statements: about 55 ms
on the first ``inbound`` against 2 ms for the next ones (docs/benchmarks.md). The
server pays it here, before it listens, by deciding the route of every configured
line and building a call record that is rolled back (nothing is written).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from agi.config_snapshot import CACHE
from agi.handlers.inbound import routing_context
from agi.routing import decide
from db.repositories import calls as call_repo
from db.session import utcnow

log = logging.getLogger(__name__)

UNCONFIGURED = "0"   # a dialed number no line has: the fallback decision is warmed too


def warm_up(session_factory: Callable[[], Session]) -> float:
    """Decide every line's route and build (then roll back) one call record; returns the seconds it took.

    A failure here (the database not there yet) is logged and does not stop the server: the
    first calls then pay the cost themselves, or fall back in the dialplan as they always can.
    """
    started = time.perf_counter()
    session = session_factory()
    try:
        config = CACHE.get(session)
        context = routing_context()
        for number in [*config.lines, UNCONFIGURED]:
            decide(config, number, context)
        call_repo.open_call(session, uniqueid="warm-up", linkedid=None, trace_id=None, channel=None,
                            caller="", dialed_number=UNCONFIGURED, line=None, arrived_at=utcnow(),
                            recording_file=None)
        session.flush()
    except Exception:
        log.warning("warm-up failed: the first calls pay their own start-up cost", exc_info=True)
    finally:
        session.rollback()
        session.close()
    return time.perf_counter() - started
