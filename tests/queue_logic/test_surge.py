"""Surge announcement: real espeak-ng + sox into an 8 kHz mono 16-bit wav, stored as a CentreSetting."""
from __future__ import annotations

import datetime as dt
import subprocess
import wave

import pytest

from db.migrate import upgrade
from db.session import make_engine, make_session_factory, session_scope
from hotline.errors import HotlineError
from queue_logic import surge

NOW = dt.datetime(2026, 11, 22, 15, 30)


@pytest.fixture
def sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'surge.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_text_is_spoken_into_an_asterisk_wav_and_played_until_switched_off(sessions, tmp_path):
    prompts = tmp_path / "prompts"
    with session_scope(sessions) as s:
        assert surge.active_surge_prompt(s) is None
        prompt = surge.switch_on_text(s, prompts, "市民朋友您好，食盐供应充足，请勿抢购。", "supervisor", NOW)
    assert prompt == str(prompts / "surge" / "20261122-153000")
    with wave.open(prompt + ".wav") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() / 8000 > 2.0           # it says something
    with session_scope(sessions) as s:
        assert surge.active_surge_prompt(s) == prompt
        assert surge.surge_status(s)["text"] == "市民朋友您好，食盐供应充足，请勿抢购。"
        surge.switch_off(s, "supervisor")
    with session_scope(sessions) as s:
        assert surge.active_surge_prompt(s) is None
        status = surge.surge_status(s)
        assert not status["on"] and status["text"]    # the last text stays visible


def test_an_uploaded_recording_is_converted(sessions, tmp_path):
    upload = tmp_path / "hot.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(upload), "synth", "1.5", "sine", "440"], check=True)
    with session_scope(sessions) as s:
        prompt = surge.switch_on_recording(s, tmp_path / "prompts", upload, "supervisor", NOW, "盐价平稳")
    with wave.open(prompt + ".wav") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)


def test_not_a_sound_file_is_refused_and_nothing_switches_on(sessions, tmp_path):
    upload = tmp_path / "notes.wav"
    upload.write_text("not audio")
    with session_scope(sessions) as s:
        with pytest.raises(HotlineError):
            surge.switch_on_recording(s, tmp_path / "prompts", upload, "supervisor", NOW)
        assert surge.active_surge_prompt(s) is None


def test_a_deleted_prompt_file_is_never_played(sessions, tmp_path):
    with session_scope(sessions) as s:
        prompt = surge.switch_on_text(s, tmp_path / "prompts", "通知", "supervisor", NOW)
    (tmp_path / "prompts" / "surge" / "20261122-153000.wav").unlink()
    with session_scope(sessions) as s:
        assert surge.active_surge_prompt(s) is None and surge.surge_status(s)["prompt"] == prompt


def test_empty_or_endless_text_is_refused(tmp_path):
    with pytest.raises(HotlineError):
        surge.speak("   ", tmp_path, NOW)
    with pytest.raises(HotlineError):
        surge.speak("长" * 501, tmp_path, NOW)
