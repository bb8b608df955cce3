"""留言 → ticket: a recorded message is measured with sox, then kept (intake ticket + callback) or dropped."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from callbacks.collect import collect_missed_calls
from calls.closing import HangupFacts, close_with_facts
from calls.unrecorded import FIELDS, parse_entry
from db.models import Call, Callback, CallbackStatus, CallOutcome, Line, Ticket, TicketChannel, TicketState
from hotline.config import Settings
from hotline.media import AudioStats, audio_stats
from voicemail import intake
from voicemail.jobs import take_pending

NOON_ISH = dt.datetime(2026, 12, 1, 2, 0)   # 10:00 in Shanghai: inside the callback window
_SERIAL = itertools.count(1)


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path)})


def _sound(settings: Settings, seconds: float, *, volume: float = 0.3, name: str | None = None) -> Path:
    """A message as Record() leaves it: 8 kHz mono 16-bit; volume 0 = digital silence."""
    folder = settings.recordings_dir / "voicemail" / "2026" / "12" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"m{next(_SERIAL)}.wav")
    synth = ["synth", str(seconds), "sine", "440", "vol", str(volume)] if volume else ["trim", "0", str(seconds)]
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *synth], check=True)
    return path


def _call(session, caller="13800001234", *, file: Path | None = None) -> Call:
    line = session.scalar(select(Line).where(Line.number == "12345"))
    call = Call(uniqueid=f"vm{next(_SERIAL)}", caller=caller, dialed_number="12345", line=line, arrived_at=NOON_ISH,
                ivr_path="8")
    session.add(call)
    session.flush()
    close_with_facts(call, HangupFacts(ended_at=NOON_ISH + dt.timedelta(seconds=30), cause="16", queue_start="",
                                       voicemail=str(file) if file else ""))
    return call


def test_sox_measures_length_and_level(settings):
    tone, silence = audio_stats(_sound(settings, 3)), audio_stats(_sound(settings, 3, volume=0))
    assert tone.seconds == pytest.approx(3, abs=0.01) and -14 < tone.rms_db < -13   # 0.3 sine: RMS 0.212
    assert silence.seconds == pytest.approx(3, abs=0.01) and silence.rms_db < -80


@pytest.mark.parametrize(("stats", "expected"), [
    (None, intake.MISSING),
    (AudioStats(1.9, 0.2), intake.TOO_SHORT),
    (AudioStats(30, 0.001), intake.SILENT),      # -60 dBFS: under the default -50
    (AudioStats(2.0, 0.01), intake.KEPT),        # -40 dBFS, the least length
])
def test_judge(stats, expected, settings):
    assert intake.judge(stats, settings) == expected


def test_a_message_becomes_an_intake_ticket_and_a_callback(session, settings):
    call = _call(session, file=_sound(settings, 4))
    assert call.outcome == CallOutcome.voicemail          # provisional until taken
    taken = intake.take(session, call, settings)
    session.commit()
    assert taken.status == intake.KEPT and taken.seconds == pytest.approx(4, abs=0.01)
    ticket = taken.ticket
    assert ticket.state == TicketState.intake and ticket.channel == TicketChannel.voicemail
    assert ticket.caller_phone == "13800001234" and ticket.line.number == "12345"
    assert ticket.topic_ref.code == settings.voicemail_topic and ticket.created_by == "voicemail"
    assert ticket.calls == [call] and "4 秒" in ticket.description
    assert call.outcome == CallOutcome.voicemail and call.voicemail_status == "kept"
    assert Path(call.voicemail_file).is_file()
    callback = session.scalar(select(Callback).where(Callback.caller == "13800001234"))
    assert callback.source == "voicemail" and callback.calls == [call] and callback.status == CallbackStatus.pending
    assert intake.take(session, call, settings) is None    # decided once
    assert collect_missed_calls(session, settings, NOON_ISH + dt.timedelta(minutes=5)) == []   # already listed
    assert session.scalar(select(Ticket).where(Ticket.channel == TicketChannel.voicemail)) is ticket


@pytest.mark.parametrize(("seconds", "volume", "reason"), [(1.0, 0.3, "too_short"), (6.0, 0.0, "silent")])
def test_a_short_or_silent_message_is_dropped(session, settings, seconds, volume, reason, caplog):
    path = _sound(settings, seconds, volume=volume)
    call = _call(session, file=path)
    with caplog.at_level("INFO", logger="voicemail.intake"):
        taken = intake.take(session, call, settings)
    session.commit()
    assert taken.status == reason and taken.ticket is None
    assert not path.exists()                                # the file is removed
    assert call.voicemail_status == reason and call.voicemail_seconds == pytest.approx(seconds, abs=0.01)
    assert call.outcome == CallOutcome.abandoned            # a missed call like any other
    assert session.scalar(select(Ticket).where(Ticket.channel == TicketChannel.voicemail)) is None
    assert session.scalar(select(Callback).where(Callback.source == "voicemail")) is None
    assert f"voicemail of call {call.uniqueid}" in caplog.text and f"dropped: {reason}" in caplog.text


def test_a_missing_file_is_dropped(session, settings):
    call = _call(session, file=settings.recordings_dir / "voicemail" / "never-written.wav")
    assert intake.take(session, call, settings).status == intake.MISSING
    assert call.outcome == CallOutcome.abandoned


def test_a_withheld_number_gets_a_ticket_without_a_phone_and_is_never_dialed(session, settings):
    call = _call(session, caller="anonymous", file=_sound(settings, 3))
    taken = intake.take(session, call, settings)
    assert taken.ticket is not None and taken.ticket.caller_phone is None
    callback = session.scalar(select(Callback).where(Callback.caller == "anonymous"))
    assert callback.status == CallbackStatus.undialable


def test_an_unusable_topic_setting_keeps_the_message_and_the_callback(session, settings, caplog):
    bad = dataclasses.replace(settings, voicemail_topic="no-such-topic")
    path = _sound(settings, 3)
    call = _call(session, file=path)
    taken = intake.take(session, call, bad)
    assert taken.status == intake.ERROR and taken.ticket is None
    assert path.is_file() and call.outcome == CallOutcome.voicemail        # nothing lost
    assert session.scalar(select(Callback).where(Callback.caller == call.caller)).source == "voicemail"
    assert "no ticket was made" in caplog.text


def test_the_job_takes_messages_of_calls_recorded_late(session, settings, database_url):
    from db.session import make_engine, make_session_factory

    call = _call(session, file=_sound(settings, 3))
    session.commit()
    engine = make_engine(database_url)
    try:
        assert take_pending(settings, make_session_factory(engine)) == 1
        assert take_pending(settings, make_session_factory(engine)) == 0
    finally:
        engine.dispose()
    session.expire_all()
    assert call.voicemail_status == "kept" and len(call.tickets) == 1


def test_the_outcome_voicemail_needs_a_message_and_gives_way_to_fallback_and_answer(session, settings):
    call = _call(session, file=None)
    assert call.outcome == CallOutcome.abandoned and call.voicemail_file is None
    fallback = Call(uniqueid="vm-fallback", caller="1", dialed_number="12345", arrived_at=NOON_ISH)
    session.add(fallback)
    close_with_facts(fallback, HangupFacts(ended_at=NOON_ISH, fallback=True, voicemail="/x.wav"))
    assert fallback.outcome == CallOutcome.fallback


def test_parked_facts_carry_the_message_file():
    assert FIELDS[-3:] == ("voicemail", "voicemail_at", "virtual_hold")
    values = [""] * len(FIELDS)
    values[FIELDS.index("voicemail")] = "/r/voicemail/2026/12/01/1.2.wav"
    values[FIELDS.index("fallback")] = ""
    assert parse_entry("|".join(values))["voicemail"] == "/r/voicemail/2026/12/01/1.2.wav"
    assert parse_entry("1|2|3|4|5|6|7|8|9|0|q|s|a|t|d|ta|e")["voicemail"] == ""   # parked by an older dialplan


def test_a_queued_callers_wait_ends_when_the_message_begins(session, settings):
    joined = NOON_ISH + dt.timedelta(seconds=3)
    call = Call(uniqueid="vm-queued", caller="13800001239", dialed_number="12345", arrived_at=NOON_ISH)
    session.add(call)
    close_with_facts(call, HangupFacts(
        ended_at=NOON_ISH + dt.timedelta(seconds=90), queue="12345", queue_start=f"{_epoch(joined)}",
        voicemail="/r/v.wav", voicemail_at=f"{_epoch(joined + dt.timedelta(seconds=40)):.3f}"))
    assert call.outcome == CallOutcome.voicemail and call.queue_name == "12345"
    assert call.wait_seconds == pytest.approx(40, abs=0.01)     # not the 87 s to the end of the message


def _epoch(at: dt.datetime) -> float:
    return at.replace(tzinfo=dt.timezone.utc).timestamp()
