"""Throw-away real databases for tests: a SQLite file, or a fresh PostgreSQL database.

PostgreSQL is reached through ``HOTLINE_TEST_PG_URL`` (a server URL with rights to
CREATE DATABASE). If it cannot be reached the test fails, saying how to fix it:
a skipped PostgreSQL test would hide exactly the bugs it exists to catch.
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
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
FRESH_PG_PREFIX = "hotline_test_"


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
    name = f"{FRESH_PG_PREFIX}{secrets.token_hex(6)}"
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
    """Migrate the empty database at ``url`` to head and load the demo data; returns the demo logins'
    generated passwords (none when ``users`` is false: the domain tests need no web logins).

    The first call per kind of database and ``users`` does the work into a template; every later one
    copies it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL): the same rows
    and the same passwords, in milliseconds instead of seconds. The seed holds nothing that depends
    on the time it was made.
    """
    kind = "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"
    key = (kind, users)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _build_template(kind, users)
    template, passwords = _TEMPLATES[key]
    if kind == "sqlite":
        target = Path(make_url(url).database)
        if target.exists() and target.stat().st_size:
            raise ValueError(f"{target} is not empty: migrate_and_seed fills a fresh database")
        shutil.copyfile(template, target)
    elif make_url(url).database.startswith(FRESH_PG_PREFIX):
        _copy_postgres_template(template, make_url(url).database)
    else:                     # not one of fresh_postgres_database's: never dropped and replaced here
        return _migrate_and_seed(url, users)
    return dict(passwords)


_TEMPLATES: dict[tuple[str, bool], tuple[str, dict[str, str]]] = {}


def _migrate_and_seed(url: str, users: bool) -> dict[str, str]:
    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import make_engine, make_session_factory, session_scope

    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            seed(session)
            passwords = seed_users(session) if users else {}
        if engine.dialect.name == "sqlite":   # everything in the main file before it is copied
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return passwords
    finally:
        engine.dispose()


def _build_template(kind: str, users: bool) -> tuple[str, dict[str, str]]:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="hotline-test-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        return str(path), _migrate_and_seed(f"sqlite:///{path}", users)
    server = make_url(pg_server_url())
    name = f"hotline_template_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    finally:
        admin.dispose()
    atexit.register(_drop_postgres_database, name)
    return name, _migrate_and_seed(server.set(database=name).render_as_string(hide_password=False), users)


def _copy_postgres_template(template: str, name: str) -> None:
    """Replace the empty database ``name`` (made by fresh_postgres_database) by a copy of ``template``."""
    admin = create_engine(make_url(pg_server_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        admin.dispose()


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(make_url(pg_server_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except OperationalError:
        pass
    finally:
        admin.dispose()
