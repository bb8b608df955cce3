"""A client-side deadline for PostgreSQL statements of the call path.

``statement_timeout`` is enforced by the server: it does nothing when the server
(or the network in between) stops answering, and a pooled connection then waits
forever in the middle of a citizen's call. Here one watchdog thread per process
shuts down the socket of any statement (pool pre-ping included) that runs past
its deadline; psycopg then raises an OperationalError, SQLAlchemy drops the
connection, the AGI handler fails and the dialplan carries the caller on.
"""
from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)


class _Watchdog:
    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self._armed: dict[int, tuple[float, int]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, fileno: int, seconds: float) -> int:
        token = next(self._ids)
        with self._lock:
            self._armed[token] = (time.monotonic() + seconds, fileno)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pg-deadline", daemon=True)
                self._thread.start()
        return token

    def disarm(self, token: int | None) -> None:
        if token is not None:
            with self._lock:
                self._armed.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            now = time.monotonic()
            with self._lock:
                late = [(t, fd) for t, (deadline, fd) in self._armed.items() if deadline <= now]
                for token, _ in late:
                    del self._armed[token]
            for _, fd in late:
                _cut(fd)


def _cut(fileno: int) -> None:
    """Shut the connection's socket down (both ways) without closing psycopg's file descriptor."""
    try:
        sock = socket.socket(fileno=os.dup(fileno))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
        log.warning("a database statement ran past its deadline: connection cut")
    except OSError:
        pass
    finally:
        sock.close()


WATCHDOG = _Watchdog()


def _fileno(dbapi_connection: Any) -> int | None:
    try:
        return dbapi_connection.pgconn.socket
    except Exception:   # closed or broken connection: nothing to watch
        return None


def install(engine: Engine, seconds: float) -> None:
    """Bound every statement and ping of ``engine`` (psycopg 3) to ``seconds``."""

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn, cursor, statement, parameters, context, executemany) -> None:
        fd = _fileno(conn.connection.dbapi_connection)
        conn.info["pg_deadline"] = WATCHDOG.arm(fd, seconds) if fd is not None else None

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn, cursor, statement, parameters, context, executemany) -> None:
        WATCHDOG.disarm(conn.info.pop("pg_deadline", None))

    @event.listens_for(engine, "handle_error")
    def _disarm_on_error(context) -> None:
        if context.connection is not None:
            WATCHDOG.disarm(context.connection.info.pop("pg_deadline", None))

    ping = engine.dialect.do_ping

    def guarded_ping(dbapi_connection) -> bool:
        fd = _fileno(dbapi_connection)
        token = WATCHDOG.arm(fd, seconds) if fd is not None else None
        try:
            return ping(dbapi_connection)
        finally:
            WATCHDOG.disarm(token)

    engine.dialect.do_ping = guarded_ping
