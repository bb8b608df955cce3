"""Warm-up before listening: the routing snapshot is built, nothing is written, a failure only logs."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from agi import config_snapshot
from agi.warm_up import warm_up
from db.models import Call


def test_warm_up_builds_the_snapshot_and_writes_nothing(session_factory):
    config_snapshot.CACHE.invalidate()
    with session_factory() as s:
        calls_before = s.scalar(select(func.count()).select_from(Call))
    assert warm_up(session_factory) > 0
    snapshot = config_snapshot.CACHE._snapshot
    assert snapshot is not None and "12345" in snapshot.lines
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Call)) == calls_before
        assert s.scalar(select(Call).where(Call.uniqueid == "warm-up")) is None


def test_a_failing_warm_up_is_logged_and_does_not_stop_the_server(caplog):
    class Broken:
        def rollback(self):
            pass

        def close(self):
            pass

        def get_bind(self):
            raise OSError("database not there")

    with caplog.at_level(logging.WARNING, logger="agi.warm_up"):
        warm_up(lambda: Broken())
    assert "warm-up failed" in caplog.text
