"""Writers in line, one at a time, for SQLite.

SQLite allows one write transaction per database. Left alone, concurrent
writers in one process (the FastAGI server's call threads) collide and SQLite's
busy handler sleeps with growing back-off (1, 2, 5, 10... ms): the median call
stays fast but the slowest wait hundreds of milliseconds. Here a connection
takes a per-database Python lock just before its first write statement (where
pysqlite begins its transaction) and gives it back at commit or rollback, so
writers queue and wake as soon as the previous one commits. Reads take no lock.
Other processes still meet SQLite's own lock and busy timeout.

A write transaction therefore must be short: a handler commits its database
work before it talks to Asterisk again.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

from db import time_spent

WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(database: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(database, threading.Lock())


class QueuedWriterConnection(sqlite3.Connection):
    """A pysqlite connection that holds the database's write lock while its write transaction lasts."""

    write_lock: threading.Lock | None = None
    lock_timeout: float = 5.0
    holds_lock = False

    def acquire_write_lock(self) -> None:
        if self.write_lock is None or self.holds_lock:
            return
        asked = time.perf_counter()
        acquired = self.write_lock.acquire(timeout=self.lock_timeout)
        time_spent.add(time.perf_counter() - asked)      # HOTLINE_AGI_TIMING's "database" part
        if not acquired:
            # the same error SQLite gives when its own busy timeout runs out
            raise sqlite3.OperationalError("database is locked (another writer held it too long)")
        self.holds_lock = True

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self.holds_lock:
            self.holds_lock = False
            self.write_lock.release()


def install(engine: Engine, database: str, lock_timeout: float) -> None:
    """Queue this engine's writers (pysqlite with QueuedWriterConnection only)."""
    lock = _lock_for(database)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.write_lock = lock
        dbapi_connection.lock_timeout = lock_timeout

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement: str, parameters, context, executemany) -> None:
        if statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            conn.connection.dbapi_connection.acquire_write_lock()


def connect_args() -> dict[str, Any]:
    return {"factory": QueuedWriterConnection, "check_same_thread": False}
