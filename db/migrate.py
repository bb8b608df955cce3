"""Schema migrations, driven from Python so they work from an installed package.

``hotline migrate`` / ``hotline seed`` call ``upgrade(url)``; nothing needs an
alembic.ini in the current folder.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from db.session import make_engine, normalize_url
from hotline.errors import HotlineError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation: a literal % in a password must be doubled
        config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database is at; None for an empty database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    with _migration_connection(url) as (config, _connection):
        command.upgrade(config, revision)


def downgrade(url: str, revision: str) -> None:
    with _migration_connection(url) as (config, _connection):
        command.downgrade(config, revision)


def make_revision(url: str, message: str, autogenerate: bool = True) -> None:
    """Write a new revision file by comparing the models with a database at head."""
    with _migration_connection(url) as (config, _connection):
        command.revision(config, message=message, autogenerate=autogenerate)


@contextmanager
def _migration_connection(url: str) -> Iterator[tuple[Config, Connection]]:
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # a batch table copy must not fire ON DELETE CASCADE on child rows
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            config.attributes["connection"] = connection
            yield config, connection
            connection.commit()
            if sqlite:
                _check_sqlite_foreign_keys(connection)
    finally:
        engine.dispose()


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise HotlineError(
            f"after the migration {len(broken)} rows point at missing rows in: {', '.join(tables)}",
            "restore the database from its backup, fix the migration, and run it again",
        )
