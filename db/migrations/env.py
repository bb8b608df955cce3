"""Alembic environment, configured by ``db.migrate`` (there is no alembic.ini).

``db.migrate`` passes an open connection in ``config.attributes["connection"]``;
with only ``sqlalchemy.url`` set, an engine is made here the same way.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from db.models import Base
from db.models.knowledge import is_search_index_table
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


def _modelled(name, type_, _parent) -> bool:
    """Autogenerate leaves the knowledge search index alone: it is dialect-specific DDL (FTS5 / tsvector)."""
    return not (type_ == "table" and is_search_index_table(name))


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_modelled,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=bool(url and url.startswith("sqlite")),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # a batch table copy must not fire ON DELETE CASCADE on child rows
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            _configure_and_run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
