"""Throw-away real databases for tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is reached through ``HOTLINE_TEST_PG_URL`` (a server URL with rights to
CREATE DATABASE). If it cannot be reached the test fails, saying how to fix it:
a skipped PostgreSQL test would hide exactly the bugs it exists to catch.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from db.session import normalize_url

DEFAULT_PG_URL = "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
KINDS = ("sqlite", "postgresql")


def pg_server_url() -> str:
    return normalize_url(os.environ.get("HOTLINE_TEST_PG_URL") or DEFAULT_PG_URL)


@contextmanager
def fresh_sqlite_database(folder: Path) -> Iterator[str]:
    """A SQLite file URL in ``folder`` (the file appears on first connect)."""
    yield f"sqlite:///{Path(folder) / f'hotline_{secrets.token_hex(4)}.db'}"


@contextmanager
def fresh_postgres_database(server_url: str | None = None) -> Iterator[str]:
    """Create a database with a random name, yield its URL, drop it afterwards."""
    server = make_url(server_url or pg_server_url())
    name = f"hotline_test_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
                )
        except OperationalError as exc:
            pytest.fail(
                f"cannot reach PostgreSQL at {server.render_as_string(hide_password=True)}: "
                f"{exc.orig}\n  fix: start PostgreSQL, or set HOTLINE_TEST_PG_URL to a server "
                "URL whose user may CREATE DATABASE",
                pytrace=False,
            )
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """``kind`` is "sqlite" or "postgresql"; yields a URL to an empty database."""
    if kind == "sqlite":
        with fresh_sqlite_database(folder) as url:
            yield url
    elif kind == "postgresql":
        with fresh_postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}; expected one of {KINDS}")


def migrate_and_seed(url: str, *, users: bool = True) -> dict[str, str]:
    """Migrate ``url`` to head and load the demo data; returns the demo logins' generated passwords
    (none when ``users`` is false: the domain tests need no web logins)."""
    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import make_engine, make_session_factory, session_scope

    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            seed(session)
            return seed_users(session) if users else {}
    finally:
        engine.dispose()
