"""The retention purge job on a real database (SQLite and PostgreSQL) and a real recordings folder."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from db.models import Call, SecurityEvent, Ticket
from db.session import make_engine, make_session_factory, session_scope
from privacy.retention import due_counts, purge_expired_records
from tests.support.databases import migrate_and_seed
from tickets.intake import create_ticket
from tickets.workflow import Actor, transition

NOW = dt.datetime(2026, 12, 1, 8, 0)
FORM = {"caller_name": "王女士", "caller_phone": "13912340001", "category": "complaint", "topic": "market-food",
        "urgency": "normal", "address": "历下区泉城路188号", "district": "lixia", "street": "quanchenglu",
        "description": "油烟直排"}


@pytest.fixture
def setup(database_url, tmp_path):
    migrate_and_seed(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    folder = tmp_path / "recordings"
    folder.mkdir()
    yield database_url, factory, folder
    engine.dispose()


def add_call(factory, folder, name: str, days_ago: int, *, ended=True, ticket_state: str | None = None):
    path = folder / f"{name}.wav"
    path.write_bytes(b"RIFF")
    at = NOW - dt.timedelta(days=days_ago)
    os.utime(path, (at.timestamp(), at.timestamp()))
    with session_scope(factory) as s:
        call = Call(uniqueid=name, caller="13912340001", dialed_number="12345", arrived_at=at,
                    ended_at=at + dt.timedelta(minutes=3) if ended else None, recording_file=str(path))
        s.add(call)
        s.flush()
        if ticket_state:
            ticket = create_ticket(s, FORM, Actor("agent1001", "agent"), calls=[call], now=at)
            if ticket_state == "closed":
                transition(s, ticket, "resolve_on_call", Actor("agent1001", "agent"), reason="已答复",
                           params={"reply": "已通知执法队处理"}, now=at)
    return path


def state(factory):
    with factory() as s:
        return {c.uniqueid: bool(c.recording_file) for c in s.scalars(select(Call).where(
            Call.uniqueid.in_(["fresh", "old-recording", "ancient", "open-ticket", "closed-ticket", "running"])))}


def test_purge_follows_the_retention_settings_and_is_idempotent(setup):
    url, factory, folder = setup
    fresh = add_call(factory, folder, "fresh", 10)
    old = add_call(factory, folder, "old-recording", 200)
    ancient = add_call(factory, folder, "ancient", 800)
    kept = add_call(factory, folder, "open-ticket", 800, ticket_state="intake")
    closed = add_call(factory, folder, "closed-ticket", 800, ticket_state="closed")
    running = add_call(factory, folder, "running", 800, ended=False)
    orphan = folder / "no-record.wav"
    orphan.write_bytes(b"RIFF")
    os.utime(orphan, ((NOW - dt.timedelta(days=400)).timestamp(),) * 2)
    with factory() as s:
        # "running" has no end: its recording goes by age, its record is never purged while it runs
        assert due_counts(s, recording_days=180, call_days=730, now=NOW) == {"recordings": 4, "calls": 2}

    done = purge_expired_records(url, folder, recording_days=180, call_days=730, now=NOW)
    assert done == {"recordings": 4, "calls": 2, "files": 4, "orphan_files": 1}
    assert state(factory) == {"fresh": True, "old-recording": False, "open-ticket": True, "running": False}
    assert fresh.exists() and kept.exists()
    assert not any(p.exists() for p in (old, ancient, closed, running, orphan))
    with factory() as s:  # the closed ticket itself stays; only its call record went
        assert s.scalar(select(Ticket).where(Ticket.state == "closed")) is not None
        audit = s.scalars(select(SecurityEvent).where(SecurityEvent.kind == "records_purged")).all()
    assert len(audit) == 1 and "calls=2" in audit[0].detail

    again = purge_expired_records(url, folder, recording_days=180, call_days=730, now=NOW)
    assert again == {"recordings": 0, "calls": 0, "files": 0, "orphan_files": 0}
    with factory() as s:
        assert len(s.scalars(select(SecurityEvent).where(SecurityEvent.kind == "records_purged")).all()) == 1


def test_zero_days_keeps_everything(setup):
    url, factory, folder = setup
    path = add_call(factory, folder, "ancient", 5000)
    assert purge_expired_records(url, folder, recording_days=0, call_days=0, now=NOW) == {
        "recordings": 0, "calls": 0, "files": 0, "orphan_files": 0}
    assert path.exists() and state(factory) == {"ancient": True}


def test_a_recording_path_outside_the_folder_is_never_deleted(setup, tmp_path):
    url, factory, folder = setup
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"RIFF")
    with session_scope(factory) as s:
        s.add(Call(uniqueid="odd", caller="", dialed_number="12345", arrived_at=NOW - dt.timedelta(days=300),
                   ended_at=NOW - dt.timedelta(days=300), recording_file=str(folder / ".." / "elsewhere.wav")))
    done = purge_expired_records(url, folder, recording_days=180, call_days=0, now=NOW)
    assert done["recordings"] == 1 and done["files"] == 0 and outside.exists()


def test_settings_name_the_retention(tmp_path):
    from hotline.config import Settings

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path), "HOTLINE_RETENTION_RECORDING_DAYS": "90",
                                  "HOTLINE_RETENTION_CALL_DAYS": "365"})
    assert (settings.retention_recording_days, settings.retention_call_days) == (90, 365)
    assert Settings.from_env(settings.to_env()).retention_call_days == 365
    assert Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)}).retention_recording_days == 180


def test_a_voicemail_is_a_recording_too_kept_while_its_ticket_is_open(setup):
    """留言: the message file goes with the recordings' retention, never as an orphan of an open ticket."""
    url, factory, folder = setup
    paths = {}
    for name, ticket_state in (("vm-open", "intake"), ("vm-done", None)):
        add_call(factory, folder, name, 200, ticket_state=ticket_state)
        paths[name] = folder / f"{name}-message.wav"
        paths[name].write_bytes(b"RIFF")
        os.utime(paths[name], ((NOW - dt.timedelta(days=200)).timestamp(),) * 2)
        with session_scope(factory) as s:
            s.scalar(select(Call).where(Call.uniqueid == name)).voicemail_file = str(paths[name])
    done = purge_expired_records(url, folder, recording_days=180, call_days=730, now=NOW)
    assert done["orphan_files"] == 0 and done["files"] == 2       # vm-done's call recording and its message
    assert paths["vm-open"].exists() and not paths["vm-done"].exists()
    with factory() as s:
        files = {c.uniqueid: c.voicemail_file for c in s.scalars(select(Call).where(Call.uniqueid.like("vm-%")))}
    assert files == {"vm-open": str(paths["vm-open"]), "vm-done": None}
