"""The "no menu" switches on a real database (SQLite and PostgreSQL), with the seeded lines."""
from __future__ import annotations

import pytest

from db.migrate import upgrade
from db.models import CentreSetting, Line
from db.seed import seed
from db.session import make_engine, make_session_factory, session_scope
from ivr.switches import CENTRE_MENU_KEY, centre_menu_enabled, menu_enabled, set_centre_menu_enabled
from tests.support.databases import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def session_factory(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            seed(session)
        yield factory
        engine.dispose()


def line(session, number: str) -> Line:
    return session.query(Line).filter_by(number=number).one()


def test_a_line_with_a_menu_plays_it_while_nothing_switches_it_off(session_factory):
    with session_factory() as session:
        assert session.get(CentreSetting, CENTRE_MENU_KEY) is None     # absent = enabled
        assert centre_menu_enabled(session)
        assert menu_enabled(session, line(session, "12333"))           # seeded with ivr_menu


def test_no_line_or_no_menu_named_means_no_menu(session_factory):
    with session_factory() as session:
        plain = line(session, "12315")
        plain.ivr_menu = None
        assert not menu_enabled(session, plain)
        assert not menu_enabled(session, None)


def test_the_lines_own_no_menu_switch(session_factory):
    with session_scope(session_factory) as session:
        line(session, "12333").no_menu = True
    with session_factory() as session:
        assert not menu_enabled(session, line(session, "12333"))
        assert menu_enabled(session, line(session, "12329"))           # the other line keeps its menu


def test_centre_wide_switch_turns_every_menu_off_and_on(session_factory):
    with session_scope(session_factory) as session:
        set_centre_menu_enabled(session, False, by="supervisor")
    with session_factory() as session:
        setting = session.get(CentreSetting, CENTRE_MENU_KEY)
        assert (setting.value, setting.updated_by) == ("0", "supervisor")
        assert not centre_menu_enabled(session)
        assert not menu_enabled(session, line(session, "12333"))
        assert not menu_enabled(session, line(session, "12329"))
    with session_scope(session_factory) as session:
        set_centre_menu_enabled(session, True, by="admin")
    with session_factory() as session:
        assert session.get(CentreSetting, CENTRE_MENU_KEY).value == "1"
        assert menu_enabled(session, line(session, "12333"))


@pytest.mark.parametrize("value, enabled", [("0", False), ("off", False), ("false", False), (" 0 ", False),
                                            ("1", True), ("", True), ("yes", True)])
def test_centre_setting_written_by_hand(session_factory, value, enabled):
    with session_scope(session_factory) as session:
        session.add(CentreSetting(key=CENTRE_MENU_KEY, value=value, updated_by="psql"))
    with session_factory() as session:
        assert centre_menu_enabled(session) is enabled
        assert menu_enabled(session, line(session, "12333")) is enabled
