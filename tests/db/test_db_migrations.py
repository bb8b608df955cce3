"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.migrate import MIGRATIONS_DIR, current_revision, downgrade, head_revision, upgrade
from db.models import Base
from db.models.knowledge import is_search_index_table
from db.session import make_engine


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            # the knowledge search index is dialect-specific DDL outside the models (FTS5 / tsvector)
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _modelled})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _modelled(name, type_, _parent) -> bool:
    return not (type_ == "table" and is_search_index_table(name))


def test_migrated_database_matches_the_models(database_url):
    upgrade(database_url)
    assert schema_differences(database_url) == []


def test_upgrade_records_the_head_revision_and_is_repeatable(database_url):
    assert current_revision(database_url) is None
    upgrade(database_url)
    upgrade(database_url)
    newest = sorted(p.stem.split("_")[0] for p in MIGRATIONS_DIR.joinpath("versions").glob("0*.py"))[-1]
    assert current_revision(database_url) == head_revision() == newest


def test_downgrade_to_base_removes_every_table(database_url):
    upgrade(database_url)
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
    assert schema_differences(database_url) == []


def test_migrations_ship_inside_the_package():
    """script_location is the package folder, so an installed copy needs no alembic.ini."""
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()
    assert MIGRATIONS_DIR.parent.name == "db"


def test_0019_adds_the_rating_levels_and_marks_days_rolled_without_them_dirty(database_url):
    """Call days rolled up before 0019 hold no rating distribution: they must be read live until rolled again."""
    from sqlalchemy import text

    upgrade(database_url, "0018")
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO kpi_call_daily (day, hour, received, offered, answered, abandoned, "
                           "short_abandoned, answered_in_sl, wait_sum, answered_wait_sum, talk_sum, rated, "
                           "rated_satisfied) VALUES ('2026-03-01', 10, 1, 1, 1, 0, 0, 1, 5, 5, 60, 1, 1)"))
            _rolled_days_one_dirty(c)
        upgrade(database_url, "0019")
        with engine.connect() as c:
            levels = c.execute(text("SELECT rated_1, rated_2, rated_3, rated_4, rated_5 FROM kpi_call_daily")).all()
            dirty = c.execute(text("SELECT family, day FROM kpi_dirty_days ORDER BY day")).all()
        assert [tuple(row) for row in levels] == [(0, 0, 0, 0, 0)]
        assert [(family, str(day)) for family, day in dirty] == [("calls", "2026-03-01"), ("calls", "2026-03-02")]
    finally:
        engine.dispose()
    upgrade(database_url)
    assert schema_differences(database_url) == []


def _rolled_days_one_dirty(c) -> None:
    """Three rolled days (calls 1 and 2 March, tickets 1 March), the calls of 2 March already dirty."""
    from sqlalchemy import text

    for family, day in (("calls", "2026-03-01"), ("calls", "2026-03-02"), ("tickets", "2026-03-01")):
        c.execute(text("INSERT INTO kpi_rollup_days (family, day, offset_minutes, short_abandon_seconds, "
                       "repeat_days, rolled_at) VALUES (:f, :d, 480, 5, 30, '2026-03-03 00:00:00')"),
                  {"f": family, "d": day})
    c.execute(text("INSERT INTO kpi_dirty_days (family, day, marked_at) "
                   "VALUES ('calls', '2026-03-02', '2026-03-03 00:00:00')"))


def test_0022_marks_every_day_rolled_before_the_slice_roll_ups_dirty(database_url):
    """Days rolled before 0022 have no agent/topic/district rows: read live until rolled again."""
    from sqlalchemy import text

    upgrade(database_url, "0021")
    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            _rolled_days_one_dirty(c)
        upgrade(database_url)
        with engine.connect() as c:
            dirty = c.execute(text("SELECT family, day FROM kpi_dirty_days ORDER BY family, day")).all()
        assert [(family, str(day)) for family, day in dirty] == [
            ("calls", "2026-03-01"), ("calls", "2026-03-02"), ("tickets", "2026-03-01")]
        downgrade(database_url, "0021")
        assert not {"kpi_call_agent_daily", "kpi_ticket_slice_daily"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
