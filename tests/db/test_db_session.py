"""db.session: URL normalisation, engine tuning, transactions."""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from db.models import Call
from db.session import (
    make_engine,
    make_session_factory,
    normalize_url,
    session_scope,
    utcnow,
)
from hotline.errors import HotlineError


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:pw@db.example/hotline", "postgresql+psycopg://u:pw@db.example/hotline"),
        ("postgres://u@db.example:5433/hotline", "postgresql+psycopg://u@db.example:5433/hotline"),
        ("postgresql+psycopg://u@/h?host=/run/pg", "postgresql+psycopg://u@/h?host=%2Frun%2Fpg"),
        ("sqlite:///var/hotline.db", "sqlite:///var/hotline.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalize_url_points_postgresql_at_psycopg3(url, expected):
    assert normalize_url(url) == expected
    assert make_url(normalize_url(url)) == make_url(expected)


@pytest.mark.parametrize(
    "url, driver, package",
    [
        ("mysql://u@h/db", "mysqldb", "mysqlclient"),
        ("mysql+pymysql://u@h/db", "pymysql", "PyMySQL"),
        ("postgresql+psycopg2://u@h/db", "psycopg2", "psycopg2-binary"),
    ],
)
def test_normalize_url_names_the_missing_driver_and_its_package(url, driver, package):
    with pytest.raises(HotlineError) as caught:
        normalize_url(url)
    assert driver in caught.value.problem
    assert f"pip install {package}" in caught.value.fix


def test_normalize_url_hides_the_password_in_errors():
    with pytest.raises(HotlineError) as caught:
        normalize_url("mysql://u:s3cret@h/db")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", ["nosuchdb://x/y", "not a url", ""])
def test_normalize_url_rejects_unknown_databases_with_a_fix(url):
    with pytest.raises(HotlineError) as caught:
        normalize_url(url)
    assert "sqlite:///" in caught.value.fix


def test_sqlite_engine_runs_wal_with_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/nested/folder/hotline.db")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        # WAL is recorded in the file itself: any other process opening it sees it
        plain = sqlite3.connect(tmp_path / "nested" / "folder" / "hotline.db")
        try:
            assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            plain.close()
    finally:
        engine.dispose()


def test_sqlite_connection_may_be_used_from_another_thread(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hotline.db")
    try:
        with engine.connect() as connection:
            errors: list[BaseException] = []

            def use_it():
                try:
                    connection.exec_driver_sql("SELECT 1").scalar()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            worker = threading.Thread(target=use_it)
            worker.start()
            worker.join()
            assert errors == []
    finally:
        engine.dispose()


def test_postgresql_engine_pings_pooled_connections():
    engine = make_engine("postgresql://u@db.example/hotline")
    assert engine.pool._pre_ping is True
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_utcnow_is_naive_utc():
    now = utcnow()
    assert now.tzinfo is None
    aware = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((aware - now).total_seconds()) < 5


def test_session_scope_commits_on_success_and_rolls_back_on_error(engine):
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        session.add(Call(uniqueid="kept.1"))
    with pytest.raises(RuntimeError):
        with session_scope(factory) as session:
            session.add(Call(uniqueid="lost.1"))
            session.flush()
            raise RuntimeError("handler failed")
    with session_scope(factory) as session:
        assert session.scalars(select(Call.uniqueid)).all() == ["kept.1"]


def test_objects_stay_readable_after_commit(engine):
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        call = Call(uniqueid="readable.1")
        session.add(call)
    assert call.uniqueid == "readable.1" and call.id is not None


def test_many_threads_write_calls_at_once(engine):
    """FastAGI handles each call in its own thread: writers must queue, not fail."""
    factory = make_session_factory(engine)
    errors: list[BaseException] = []

    def write_calls(worker: int):
        try:
            for n in range(15):
                with session_scope(factory) as session:
                    session.add(Call(uniqueid=f"{worker}.{n}", caller="13800000000"))
                    session.flush()
                    session.execute(text("SELECT count(*) FROM calls")).scalar()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=write_calls, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with session_scope(factory) as session:
        assert session.execute(text("SELECT count(*) FROM calls")).scalar() == 8 * 15
