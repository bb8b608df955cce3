"""The time a thread spends in the database, for HOTLINE_AGI_TIMING: statements (with SQLite's or
PostgreSQL's own waits inside them), the wait for the queued-writer lock of db/sqlite_writes.py (taken in a
listener that runs before this module's, so that module adds its wait itself) and commits.

Statements are timed on the engine ``install`` is given (the FastAGI server's, with HOTLINE_AGI_TIMING=1);
the write lock adds its wait on any engine, and the total is read only where a handler reset it. A FastAGI
handler runs on one thread, so a thread-local total per handler run is exact.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Engine, event

_local = threading.local()


def reset() -> None:
    _local.seconds = 0.0


def spent() -> float:
    """Seconds in the database on this thread since ``reset()``."""
    return getattr(_local, "seconds", 0.0)


def add(seconds: float) -> None:
    _local.seconds = spent() + seconds


def install(engine: Engine) -> None:
    """Time every statement of ``engine`` (listeners run in the order they were added: this one after the
    write lock's, whose wait db/sqlite_writes.py adds itself, so nothing is counted twice)."""
    def before(conn, cursor, statement, parameters, context: Any, executemany) -> None:
        context._hotline_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context: Any, executemany) -> None:
        started = getattr(context, "_hotline_started", None)
        if started is not None:
            add(time.perf_counter() - started)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
