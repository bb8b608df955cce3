"""Is the database there, with its tables? Checked before a service or command uses it.

SQLite creates a missing file on the first connect, so without this check a
mistyped DATABASE_URL (or a run folder without its database) gives an empty
file and, later, a raw "no such table". Only `hotline db upgrade` and
`hotline seed` may create the database; everything else says what to do.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from db.session import make_engine, normalize_url
from hotline.errors import HotlineError

CREATE = "`hotline db upgrade` creates the tables, then `hotline seed` loads the demo data"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(normalize_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def check_database(url: str) -> None:
    """Raise a HotlineError (problem + fix) when the database is missing, unreachable, empty or behind."""
    from db.migrate import head_revision

    shown = make_url(normalize_url(url)).render_as_string(hide_password=True)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise HotlineError(f"the database file {path} does not exist", f"{CREATE} (or fix DATABASE_URL)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = None
            if "alembic_version" in tables:
                from alembic.runtime.migration import MigrationContext

                revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as e:
        raise HotlineError(f"cannot reach the database {shown} ({e.__class__.__name__}: "
                           f"{str(e.orig if hasattr(e, 'orig') else e).strip().splitlines()[0]})",
                           "start the database server, create the database (createdb) or fix DATABASE_URL") from None
    finally:
        engine.dispose()
    if revision is None:
        what = "has no tables" if not tables else "has tables but no schema revision"
        raise HotlineError(f"the database {shown} {what}", CREATE)
    if revision != head_revision():
        raise HotlineError(f"the database {shown} is at revision {revision}, the code needs {head_revision()}",
                           "`hotline db upgrade`")
