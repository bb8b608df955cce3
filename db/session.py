"""Engines and sessions, the same way for the AGI server, the web panel and jobs.

SQLite is the embedded default and is used from many FastAGI threads at once,
hence WAL, a busy timeout and ``check_same_thread=False``. Convention for the
whole project: timestamps are stored as naive UTC (see ``utcnow``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from hotline.errors import HotlineError

SQLITE_BUSY_TIMEOUT_MS = 5000
# The call path (FastAGI server) waits at most about this long for the database, then gives up
# so the dialplan's fallback carries the caller on and parks the call's facts (calls.unrecorded).
CALL_PATH_TIMEOUT_S = 1.0
PG_MIN_CONNECT_TIMEOUT_S = 2   # libpq (and psycopg) raise any connect_timeout below 2 s to 2 s

# driver name in the URL → what to pip install for it
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "mysqldb": "mysqlclient",
    "pymysql": "PyMySQL",
    "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb",
    "aiomysql": "aiomysql",
    "aiosqlite": "aiosqlite",
    "oracledb": "oracledb",
    "cx_oracle": "cx_Oracle",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
}
SUPPORTED = "sqlite:///path/to/hotline.db or postgresql://user@host/dbname (psycopg 3 is shipped)"


def utcnow() -> dt.datetime:
    """Now as a naive UTC datetime: the only kind of timestamp we store."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def normalize_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3 and check the driver imports.

    A missing driver becomes a ``HotlineError`` naming the package to install,
    instead of a traceback at the first query.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise HotlineError(
            "database URL has no scheme (like sqlite:// or postgresql://)", f"use {SUPPORTED}"
        )
    if scheme in ("postgresql", "postgres"):
        text = f"postgresql+psycopg://{rest}"
    try:
        parsed = make_url(text)
    except ArgumentError as exc:
        raise HotlineError(f"database URL cannot be parsed: {exc}", f"use {SUPPORTED}") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise HotlineError(
            f"database URL {shown} names an unknown database/driver {parsed.drivername!r}",
            f"use {SUPPORTED}",
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        driver = parsed.get_driver_name()
        package = DRIVER_PACKAGES.get(driver, exc.name or driver)
        raise HotlineError(
            f"database driver {driver!r} for {parsed.get_backend_name()} is not installed "
            f"(needed by {shown})",
            f"pip install {package}, or use {SUPPORTED}",
        ) from None
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, call_path: bool = False, **kw: Any) -> Engine:
    """An engine tuned for our two databases; extra keywords go to ``create_engine``.

    ``call_path=True`` is the FastAGI server's engine: every wait for the database (SQLite's
    lock, PostgreSQL's connect, statements and locks, the pool) ends after about
    ``CALL_PATH_TIMEOUT_S`` with an error instead of leaving a citizen in silence.
    """
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if call_path:
        kw.setdefault("pool_timeout", CALL_PATH_TIMEOUT_S)
    if backend == "sqlite":
        _create_sqlite_folder(parsed)
        busy_ms = int(CALL_PATH_TIMEOUT_S * 1000) if call_path else SQLITE_BUSY_TIMEOUT_MS
        queued = parsed.get_driver_name() == "pysqlite"
        if queued:
            from db import sqlite_writes

            kw["connect_args"] = {**sqlite_writes.connect_args(), "timeout": busy_ms / 1000,
                                  **kw.get("connect_args", {})}
        engine = create_engine(parsed, **kw)
        event.listen(engine, "connect", lambda conn, rec: _sqlite_pragmas(conn, rec, busy_ms))
        if queued:
            file_db = parsed.database not in (None, "", ":memory:")
            sqlite_writes.install(engine, str(Path(parsed.database).expanduser().resolve()) if file_db
                                  else str(id(engine)), lock_timeout=busy_ms / 1000)
        return engine
    if backend == "postgresql":
        kw.setdefault("pool_pre_ping", True)
        if call_path:
            from db import pg_deadline

            ms = int(CALL_PATH_TIMEOUT_S * 1000)
            kw["connect_args"] = {"connect_timeout": PG_MIN_CONNECT_TIMEOUT_S,
                                  "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
                                  **kw.get("connect_args", {})}
            engine = create_engine(parsed, **kw)
            pg_deadline.install(engine, CALL_PATH_TIMEOUT_S + 0.2)
            return engine
    return create_engine(parsed, **kw)


def _create_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("uri"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: no fsync per commit, still never corrupt; a power cut may lose the last
        # commits (PostgreSQL is the production database where that matters)
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Objects stay readable after commit, so a handler can use them after its transaction."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_factory_for(url: str) -> sessionmaker[Session]:
    """A session factory on a new engine for ``url`` (a process's one entry into the database)."""
    return make_session_factory(make_engine(url))


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
