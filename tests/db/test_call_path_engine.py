"""The FastAGI server's engine gives up after about a second: SQLite locked, PostgreSQL slow."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.session import CALL_PATH_TIMEOUT_S, make_engine
from tests.support.databases import fresh_postgres_database


def test_sqlite_locked_by_another_process_fails_within_about_a_second(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url, call_path=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
        took = time.monotonic() - started
        assert CALL_PATH_TIMEOUT_S * 0.8 <= took < CALL_PATH_TIMEOUT_S + 0.7, took
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


@pytest.mark.postgres
def test_a_slow_postgresql_statement_is_cancelled_after_about_a_second():
    with fresh_postgres_database() as url:
        engine = make_engine(url, call_path=True)
        try:
            started = time.monotonic()
            with pytest.raises(OperationalError):
                with engine.connect() as conn:
                    conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < CALL_PATH_TIMEOUT_S + 0.7
            with engine.connect() as conn:           # the pool is usable again
                assert conn.execute(text("SELECT 1")).scalar() == 1
        finally:
            engine.dispose()


def test_the_time_a_thread_spends_in_the_database_counts_the_write_lock_wait(tmp_path):
    """HOTLINE_AGI_TIMING's "database" part: a writer queued behind another writer of the same process counts
    its wait, since the time is taken before the queued-writer lock is (db/sqlite_writes.py)."""
    import threading

    from db import time_spent

    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url, call_path=True)
    time_spent.install(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holding, measured = threading.Event(), []

    def first_writer():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))    # takes the queued-writer lock
            holding.set()
            time.sleep(0.4)                                    # the delay under measurement: a long writer

    def second_writer():
        time_spent.reset()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))    # waits in line for the first
        measured.append(time_spent.spent())

    first = threading.Thread(target=first_writer)
    first.start()
    assert holding.wait(5)
    second = threading.Thread(target=second_writer)
    second.start()
    first.join(5)
    second.join(5)
    time_spent.reset()
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM t")).scalar()
    engine.dispose()
    assert measured and 0.25 <= measured[0] < CALL_PATH_TIMEOUT_S + 0.5, measured
    assert 0 < time_spent.spent() < 0.25               # this thread's own, short read only
