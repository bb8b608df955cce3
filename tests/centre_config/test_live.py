"""After a commit: the greeting text is spoken into its prompt, the change is announced on Redis, and the
FastAGI server's watch drops its routing snapshot at once; the staged-changes job applies what is due."""
from __future__ import annotations

import json
import threading
import wave

from sqlalchemy import select

from agi import config_snapshot
from centre_config import live, versions
from db.models import Line, LineMode, ScheduledChange
from db.session import utcnow
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from ops import config_watch
from tests.support.waiting import wait_for


def test_a_changed_greeting_text_is_spoken_and_the_change_announced(session, settings):
    client = redis_client(settings, check=True)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(Keys(settings.redis_prefix).config_channel)
    try:
        versions.save(session, "line", "12385", {"greeting_text": "您好，这里是残疾人服务热线。"}, by="admin")
        session.commit()
        notes = live.after_commit(settings, versions.pending_changes(session))
        wav = settings.prompts_dir / "zh" / "line-12385.wav"
        with wave.open(str(wav)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            assert w.getnframes() > 8000       # more than a second of speech
        assert "greeting of line 12385 spoken into prompt line-12385" in notes
        message = wait_for(lambda: pubsub.get_message(timeout=0.1), 5, "the change on Redis")
        assert json.loads(message["data"]) == {"kinds": ["line"], "items": ["line:12385"]}
        # the same text again: nothing to remake
        versions.save(session, "line", "12385", {"notes": "无障碍"}, by="admin")
        session.commit()
        assert not any("spoken" in n for n in live.after_commit(settings, versions.pending_changes(session)))
    finally:
        pubsub.close()
        versions.restore(session, "line", "12385", by="admin")
        versions.restore(session, "line", "12385", by="admin", version=1)
        session.commit()


def test_the_watch_drops_the_routing_snapshot_on_a_change(session, settings):
    config_snapshot.CACHE.get(session)
    assert config_snapshot.CACHE._snapshot is not None
    stop = threading.Event()
    thread = config_watch.start(settings, stop)
    try:
        versions.save(session, "line", "12393", {"no_menu": True}, by="admin")
        session.commit()
        live.after_commit(settings, versions.pending_changes(session))
        wait_for(lambda: config_snapshot.CACHE._snapshot is None, 2, "the snapshot dropped")
        snap = config_snapshot.CACHE.get(session)
        assert snap.line("12393").no_menu is True
    finally:
        stop.set()
        thread.join(5)
        versions.restore(session, "line", "12393", by="admin")
        session.commit()


def test_the_job_applies_what_is_due_once(session, settings, monkeypatch):
    from centre_config import jobs
    from hotline.config import current_settings

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(settings.run_dir))
    monkeypatch.setenv("HOTLINE_REDIS_PREFIX", settings.redis_prefix)
    current_settings.cache_clear()      # the worker reads its settings once
    row = ScheduledChange(kind="line", key="12316", due_at=utcnow(), changes={"mode": "merged"},
                          created_by="admin", note="三农热线并入")
    session.add(row)
    session.commit()
    try:
        assert jobs.apply_staged_changes() == 1
        assert jobs.apply_staged_changes() == 0
    finally:
        current_settings.cache_clear()
    session.expire_all()
    assert session.scalar(select(Line.mode).where(Line.number == "12316")) is LineMode.merged
    assert session.get(ScheduledChange, row.id).applied_version_id is not None
    assert versions.history(session, "line", "12316")[0].action == "scheduled"
    versions.restore(session, "line", "12316", by="admin")
    session.commit()
