"""Routing by dialed number for every line mode, on the seeded national lines."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from agi import config_snapshot
from agi.routing import EMERGENCY, SELF_SERVED, TRANSFERRED, Context
from agi.routing import decide as decide_on_snapshot
from db.models import Line

MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0)
SUNDAY_NOON = dt.datetime(2026, 11, 22, 12, 0)


def ctx(now=MONDAY_NOON, menus=True, prompts=True):
    return Context(local_now=now, prompt_exists=lambda lang, name: prompts), menus


def decide(session, number, context):
    """Route ``number`` on a fresh snapshot of the database, with the centre's menus on or off."""
    context, menus = context
    snapshot = config_snapshot.load(session)
    if not menus:
        snapshot = replace(snapshot, settings={**snapshot.settings, "ivr_enabled": "0"})
    return decide_on_snapshot(snapshot, number, context)


@pytest.fixture
def session(session_factory):
    with session_factory() as s:
        yield s


def test_12345_itself_runs_its_short_menu_then_queue(session):
    route = decide(session, "12345", ctx())
    assert route.kind == "queue" and route.queue == "12345"
    assert route.menu == "main" and route.prompts == ()     # the menu prompt is the greeting
    assert route.line.number == "12345" and route.transfer_kind is None


def test_with_menus_off_12345_plays_the_welcome_and_queues(session):
    route = decide(session, "12345", ctx(menus=False))
    assert route.menu is None and route.prompts == ("hotline/welcome",) and route.kind == "queue"


def test_unknown_number_takes_the_12345_flow_untagged(session):
    route = decide(session, "87654321", ctx())
    assert route.kind == "queue" and route.queue == "12345" and route.line is None
    assert "87654321 is not a configured line" in route.reason


def test_merged_line_plays_the_notice_while_its_window_lasts(session):
    route = decide(session, "12358", ctx())
    assert route.prompts == ("hotline/merged-notice",) and route.menu == "main"
    assert route.line.mode == "merged" and route.queue == "12345"
    after = decide(session, "12358", ctx(now=dt.datetime(2027, 7, 1, 9, 0)))
    assert after.prompts == () and after.menu == "main" and after.line.number == "12358"


def test_dual_line_plays_its_own_greeting_when_recorded(session):
    route = decide(session, "86011234", ctx(prompts=True))
    assert route.prompts == ("hotline/greeting-86011234",) and route.line.mode == "dual"
    assert route.menu is None            # no maze: from the greeting straight to the agents
    generic = decide(session, "86011234", ctx(prompts=False))
    assert generic.prompts == ("hotline/greeting-dual",)


def test_sub_centre_is_transferred_while_open(session):
    route = decide(session, "12366", ctx())
    assert route.kind == "transfer" and route.transfer_target == "PJSIP/12366@carrier"
    assert route.transfer_kind == TRANSFERRED


def test_sub_centre_closed_goes_to_12345_agents(session):
    route = decide(session, "12360", ctx(now=SUNDAY_NOON))   # customs: workdays 09:00-17:00
    assert route.kind == "queue" and route.queue == "12345"
    assert route.prompts == ("hotline/after-hours",) and route.line.number == "12360"
    assert decide(session, "12360", ctx(now=MONDAY_NOON)).kind == "transfer"


@pytest.mark.parametrize("number", ["110", "119", "120", "122"])
def test_emergency_numbers_go_straight_to_the_trunk(session, number):
    route = decide(session, number, ctx())
    assert route.kind == "transfer" and route.transfer_target == f"PJSIP/{number}@carrier"
    assert route.transfer_kind == EMERGENCY and route.prompts == () and route.menu is None


def test_self_service_line_runs_its_menu_unless_menus_are_off(session):
    route = decide(session, "12333", ctx())
    assert route.menu == session.query(Line).filter_by(number="12333").one().ivr_menu
    assert route.kind == "queue"   # the menu's default: a human
    off = decide(session, "12333", ctx(menus=False))
    assert off.menu is None and off.kind == "queue"


def test_inactive_line_is_as_if_not_configured(session):
    line = session.query(Line).filter_by(number="12315").one()
    line.active = False
    session.flush()
    route = decide(session, "12315", ctx())
    assert route.line is None and "outside its active window" in route.reason


def test_every_seeded_line_gets_a_route(session):
    for line in session.query(Line):
        route = decide(session, line.number, ctx())
        assert route.kind in ("queue", "transfer"), line.number
        if route.kind == "transfer":
            assert route.transfer_target and route.transfer_kind in (TRANSFERRED, EMERGENCY, SELF_SERVED)
