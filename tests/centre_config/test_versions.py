"""Every change is checked whole, versioned with who/when/before/after, and restorable with one call."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from centre_config import versions
from centre_config.errors import ConfigInvalid, ConfigNotFound, NothingToRestore
from db.models import Agent, CalendarDay, ConfigVersion, IvrMenu, Line, LineMode, Queue


def test_a_dual_line_becomes_merged_with_its_notice_and_back(session):
    saved = versions.save(session, "line", "12319", {"mode": "merged", "notice_until": "2027-03-31"},
                          by="admin", note="12319 并入 12345")
    session.commit()
    line = session.scalar(select(Line).where(Line.number == "12319"))
    assert line.mode is LineMode.merged and line.notice_until == dt.date(2027, 3, 31)
    v = saved.version
    assert (v.kind, v.key, v.version, v.action, v.changed_by) == ("line", "12319", 1, "update", "admin")
    assert v.before["mode"] == "dual" and v.after["mode"] == "merged"
    assert versions.changed_fields(v) == {"mode": ("dual", "merged"), "notice_until": (None, "2027-03-31")}

    back = versions.restore(session, "line", "12319", by="admin2")
    session.commit()
    session.refresh(line)
    assert line.mode is LineMode.dual and line.notice_until is None
    assert (back.version.version, back.version.action, back.version.changed_by) == (2, "restore", "admin2")
    # the restore is a version too: restoring it goes forward again
    versions.restore(session, "line", "12319", by="admin")
    session.commit()
    session.refresh(line)
    assert line.mode is LineMode.merged
    assert [r.version for r in versions.history(session, "line", "12319")] == [3, 2, 1]
    versions.restore(session, "line", "12319", by="admin", version=2)   # a chosen version
    session.commit()
    session.refresh(line)
    assert line.mode is LineMode.dual


def test_every_wrong_field_is_named_and_nothing_is_saved(session):
    before = session.scalar(select(Line).where(Line.number == "12315")).mode
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "line", "12315", {
            "mode": "cancelled", "department": "nope", "business_hours": "mon-fri 25:00-26:00",
            "notice_until": "next year", "language": "fr", "queue_name": "ghost", "colour": "red"}, by="admin")
    fields = caught.value.fields
    assert set(fields) == {"mode", "department", "business_hours", "notice_until", "language", "queue_name",
                           "colour"}
    assert "'cancelled' is not one of" in fields["mode"] and "no department 'nope'" in fields["department"]
    session.rollback()
    assert session.scalar(select(Line).where(Line.number == "12315")).mode == before
    assert session.scalar(select(ConfigVersion).where(ConfigVersion.key == "12315")) is None


def test_a_sub_centre_needs_a_transfer_target(session):
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "line", "12316", {"mode": "sub_centre"}, by="admin")
    assert "transfer target" in caught.value.fields["transfer_target"]


def test_saving_the_same_values_makes_no_version(session):
    saved = versions.save(session, "line", "12316", {"name": "三农服务热线"}, by="admin")
    assert saved.version is None and not saved.changed


def test_greeting_text_names_its_prompt_and_a_recording_wins(session):
    versions.save(session, "line", "12317", {"greeting_text": "您好，这里是扶贫热线。"}, by="admin")
    line = session.scalar(select(Line).where(Line.number == "12317"))
    assert line.greeting == "line-12317"
    versions.save(session, "line", "12317", {"greeting_recording": "line-12317-recorded"}, by="admin")
    assert line.greeting == "line-12317-recorded"
    versions.save(session, "line", "12317", {"greeting_recording": None, "greeting_text": None}, by="admin")
    assert line.greeting is None
    session.rollback()


def test_a_new_queue_and_agent_with_a_secret_shown_once(session):
    q = versions.save(session, "queue", "elderly", {"display_name": "适老化专席", "strategy": "ringall",
                                                    "ring_timeout_seconds": 20, "overflow": "12345"},
                      by="admin", create=True)
    assert q.version.action == "create" and q.version.before is None
    a = versions.save(session, "agent", "1099", {"name": "赵敏", "languages": "zh,en",
                                                 "queues": {"elderly": 0, "12345": 2}}, by="admin", create=True)
    session.commit()
    agent = session.scalar(select(Agent).where(Agent.number == "1099"))
    assert a.secret == agent.sip_secret and len(a.secret) >= 16
    assert "sip_secret" not in a.version.after and a.secret not in str(a.version.after)
    assert agent.sip_username == "agent1099" and a.version.after["queues"] == {"12345": 2, "elderly": 0}
    queue = session.scalar(select(Queue).where(Queue.name == "elderly"))
    assert versions.current(session, "queue", "elderly")["members"] == {"1099": 0}
    assert queue.overflow_queue.name == "12345" and queue.ring_timeout_seconds == 20

    retired = versions.remove(session, "agent", "1099", by="admin")
    session.commit()
    assert retired.version.action == "retire" and agent.active is False
    versions.restore(session, "agent", "1099", by="admin")
    session.commit()
    assert agent.active is True
    versions.save(session, "agent", "1099", {"queues": {"12345": 2}}, by="admin")
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "queue", "elderly", {"overflow": "elderly", "wrapup_seconds": -1,
                                                    "strategy": "fastest"}, by="admin")
    assert set(caught.value.fields) == {"overflow", "wrapup_seconds", "strategy"}
    session.rollback()


def test_agent_fields_are_checked(session):
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "agent", "10x", {"name": "", "languages": "zh,fr", "queues": {"ghost": 0},
                                                "sip_username": "agent1001"}, by="admin", create=True)
    assert set(caught.value.fields) == {"number", "name", "languages", "queues", "sip_username"}
    session.rollback()


def test_an_invalid_menu_is_refused_with_the_loaders_message(session):
    bad = "prompt: menu-main\noptions:\n  '1': {action: submenu, menu: nowhere}\n"
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "menu", "elderly", {"source": bad}, by="admin", create=True)
    assert "nowhere" in caught.value.fields["source"]
    with pytest.raises(ConfigInvalid) as caught:
        versions.save(session, "menu", "elderly", {"source": "prompt: [unclosed"}, by="admin", create=True)
    assert "not valid YAML" in caught.value.fields["source"]
    session.rollback()
    assert session.get(IvrMenu, "elderly") is None


def test_a_menu_saved_wins_over_the_shipped_one_and_restore_brings_it_back(session):
    from centre_config.menus import effective

    source = "prompt: menu-main\ndefault: agent\noptions:\n  '1': agent\n"
    versions.save(session, "menu", "main", {"source": source}, by="admin", create=True)
    session.commit()
    assert effective(session)["main"].keys == "1"
    versions.restore(session, "menu", "main", by="admin")
    session.commit()
    assert session.get(IvrMenu, "main") is None and "9" in effective(session)["main"].keys


def test_centre_switch_and_holiday_override(session):
    from ivr.switches import centre_menu_enabled

    versions.save(session, "switch", "ivr_enabled", {"enabled": "no"}, by="admin", create=True)
    session.commit()
    assert centre_menu_enabled(session) is False
    versions.restore(session, "switch", "ivr_enabled", by="admin")
    session.commit()
    assert centre_menu_enabled(session) is True
    versions.save(session, "calendar_day", "2027-02-06", {"workday": True, "note": "春节调休上班"},
                  by="admin", create=True)
    session.commit()
    assert session.get(CalendarDay, dt.date(2027, 2, 6)).workday is True
    with pytest.raises(ConfigInvalid):
        versions.save(session, "calendar_day", "2027-02-30", {"workday": True}, by="admin", create=True)
    session.rollback()


def test_unknown_items_and_nothing_to_restore(session):
    with pytest.raises(ConfigNotFound):
        versions.save(session, "line", "99999", {"name": "x"}, by="admin")
    with pytest.raises(NothingToRestore):
        versions.restore(session, "line", "12320", by="admin")
    with pytest.raises(ConfigNotFound):
        versions.kind_of("colour")


def test_a_rolled_back_change_is_not_announced(session):
    versions.save(session, "line", "12385", {"notes": "试试"}, by="admin")
    session.rollback()
    assert versions.pending_changes(session) == []
    versions.save(session, "line", "12385", {"notes": "真的"}, by="admin")
    session.commit()
    assert [(k, key) for k, key, *_ in versions.pending_changes(session)] == [("line", "12385")]
    versions.restore(session, "line", "12385", by="admin")
    session.commit()
