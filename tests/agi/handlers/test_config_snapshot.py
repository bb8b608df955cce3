"""The routing snapshot: same answers as the database, refreshed after its TTL, one per database."""
from __future__ import annotations

import time

from agi.config_snapshot import LineInfo, SnapshotCache, load
from db.models import CentreSetting, Line


def test_snapshot_holds_every_line_queue_and_setting(session_factory):
    with session_factory() as s:
        s.add(CentreSetting(key="ivr_enabled", value="0"))
        s.commit()
        snap = load(s)
        assert set(snap.lines) == {line.number for line in s.query(Line)}
        assert snap.line("12315") == LineInfo.of(s.query(Line).filter_by(number="12315").one())
        assert snap.queues["12345"].overflow == "overflow" and snap.queues["overflow"].overflow is None
        assert snap.settings["ivr_enabled"] == "0"
        assert snap.menu_enabled(snap.line("12345")) is False      # centre switch off


def test_cache_reloads_only_after_its_ttl(session_factory):
    cache = SnapshotCache(ttl=0.3)
    with session_factory() as s:
        first = cache.get(s)
        s.query(Line).filter_by(number="12315").one().name = "改名了"
        s.commit()
        assert cache.get(s) is first                                # still fresh: no query
        time.sleep(0.35)
        assert cache.get(s).line("12315").name == "改名了"


def test_a_surge_prompt_is_played_only_if_its_file_exists(session_factory, tmp_path):
    from queue_logic.surge import PROMPT_KEY

    with session_factory() as s:
        s.add(CentreSetting(key=PROMPT_KEY, value=str(tmp_path / "surge-1")))
        s.commit()
        assert load(s).surge_prompt() is None                       # no file: never play an error
        (tmp_path / "surge-1.wav").write_bytes(b"RIFF")
        assert load(s).surge_prompt() == str(tmp_path / "surge-1")


def test_the_snapshot_carries_the_admins_calendar_overrides(session_factory):
    """Sub-centre hours read the same calendar as ticket deadlines (tickets.deadlines.load_policy)."""
    import datetime as dt

    from db.models import CalendarDay
    from tickets.deadlines import load_policy

    day = dt.date(2026, 11, 23)   # an ordinary Monday, declared a rest day by the admin
    with session_factory() as s:
        s.add(CalendarDay(day=day, workday=False, note="test"))
        s.commit()
        assert load(s).calendar.is_workday(day) == (False, False)
        assert load_policy(s).calendar.is_workday(day) == (False, False)
