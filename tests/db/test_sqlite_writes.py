"""SQLite's write lock taken by the connection itself (db/sqlite_writes.take_database_lock), against a real
second process that writes the same database."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from db.session import make_engine
from db.sqlite_writes import take_database_lock

HOLD_THEN_RELEASE = r"""
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO t VALUES (-1)")
print("held", flush=True)
sys.stdin.readline()                      # released when the test says so
c.execute("COMMIT")
print("released", flush=True)
"""

WRITE_MANY = r"""
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
for i in range(int(sys.argv[2])):
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES (?)", (100000 + i,))
    c.execute("COMMIT")
"""


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "w.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    return path


def test_the_lock_is_taken_once_the_other_process_lets_it_go_and_held_until_commit(database):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THEN_RELEASE, str(database)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    waiter = sqlite3.connect(database, isolation_level=None, timeout=5, check_same_thread=False)
    try:
        assert holder.stdout.readline().strip() == "held"
        taken = threading.Event()

        def take():
            take_database_lock(waiter, 10, restore_busy_ms=5000)
            taken.set()

        thread = threading.Thread(target=take)
        thread.start()
        assert not taken.wait(0.3), "took the lock while another process held it"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert taken.wait(5)
        thread.join(5)
        assert waiter.in_transaction
        other = sqlite3.connect(database, isolation_level=None, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")          # this connection holds SQLite's write lock now
        other.close()
        assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 5000   # its reads wait as before
        waiter.execute("INSERT INTO t VALUES (1)")
        waiter.execute("COMMIT")
        assert sorted(x for (x,) in waiter.execute("SELECT x FROM t")) == [-1, 1]
    finally:
        holder.kill()
        holder.wait(5)
        waiter.close()


def test_a_lock_held_past_the_timeout_is_database_is_locked_and_the_busy_timeout_comes_back(database):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THEN_RELEASE, str(database)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    waiter = sqlite3.connect(database, isolation_level=None, timeout=5)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            take_database_lock(waiter, 0.2, restore_busy_ms=1234)
        assert not waiter.in_transaction
        assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    finally:
        holder.kill()
        holder.wait(5)
        waiter.close()


def test_threads_of_an_engine_and_another_process_writing_at_once_lose_nothing(database):
    """Eight writer threads of this process (the queued writers of the engine) against a second process
    committing 300 rows as fast as it can: every row of both is there and no write failed."""
    engine = make_engine(f"sqlite:///{database}", call_path=True)
    other = subprocess.Popen([sys.executable, "-c", WRITE_MANY, str(database), "300"])
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for i in range(40):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": start + i})
        except BaseException as exc:       # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert other.wait(60) == 0
    finally:
        other.kill()
    assert errors == []
    with engine.connect() as conn:
        rows = sorted(x for (x,) in conn.execute(text("SELECT x FROM t")))
    engine.dispose()
    assert rows == sorted([k * 1000 + i for k in range(8) for i in range(40)] + [100000 + i for i in range(300)])
