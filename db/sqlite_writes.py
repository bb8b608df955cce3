"""Writers in line, one at a time, for SQLite.

SQLite allows one write transaction per database. Left alone, concurrent
writers in one process (the FastAGI server's call threads) collide and SQLite's
busy handler sleeps with growing back-off (1, 2, 5, 10... ms): the median call
stays fast but the slowest wait hundreds of milliseconds. Here a connection
takes a per-database Python lock just before its first write statement (where
pysqlite begins its transaction) and gives it back at commit or rollback, so
writers queue and wake as soon as the previous one commits. Reads take no lock.

Writers of other processes (the rq worker's jobs, the web panel) hold SQLite's
own lock, which no Python lock can queue for. SQLite's busy handler would wait
for it by sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms in turn, so a
writer could wake up to 100 ms after the other process had committed. So the
connection takes SQLite's lock itself, right after the Python one: ``BEGIN
IMMEDIATE`` with no busy timeout, tried again at most every 2 ms
(``take_database_lock``). Both waits share one deadline, the connection's
``lock_timeout``.

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
        try:
            if not self.write_lock.acquire(timeout=self.lock_timeout):
                # the same error SQLite gives when its own busy timeout runs out
                raise sqlite3.OperationalError("database is locked (another writer held it too long)")
            self.holds_lock = True
            if not self.in_transaction:
                try:
                    take_database_lock(self, asked + self.lock_timeout - time.perf_counter(),
                                       restore_busy_ms=int(self.lock_timeout * 1000))
                except BaseException:
                    self._release()
                    raise
        finally:
            time_spent.add(time.perf_counter() - asked)      # HOTLINE_AGI_TIMING's "database" part

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


RETRY_AFTER_S = (0.0002, 0.0005, 0.001, 0.002)     # then every 2 ms


def take_database_lock(connection: sqlite3.Connection, timeout: float, restore_busy_ms: int) -> None:
    """Begin a write transaction on ``connection`` (``BEGIN IMMEDIATE``: SQLite's write lock taken now),
    trying again at most every 2 ms while another process holds the lock, for up to ``timeout`` seconds;
    then "database is locked". The connection's busy timeout is off meanwhile and ``restore_busy_ms``
    after, for its reads."""
    deadline = time.perf_counter() + timeout
    connection.execute("PRAGMA busy_timeout=0")
    try:
        attempt = 0
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                left = deadline - time.perf_counter()
                if "locked" not in str(e) or left <= 0:
                    raise
            time.sleep(min(RETRY_AFTER_S[min(attempt, len(RETRY_AFTER_S) - 1)], left))
            attempt += 1
    finally:
        connection.execute(f"PRAGMA busy_timeout={restore_busy_ms}")


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
