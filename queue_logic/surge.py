"""Surge announcement (热点播报): one hot-topic message played before every new call.

Jinan calmed 12,822 calls in one day (the 2011 salt panic) with a unified
announcement. A supervisor types a text (spoken by espeak-ng, Mandarin voice
``cmn-latn-pinyin``) or uploads a recording; it plays before every new call
until switched off.

Contract with the inbound call path: CentreSetting "surge_prompt" holds the
prompt to play — a path without extension to an 8 kHz mono 16-bit wav under
``<prompts_dir>/surge/`` — and is empty when off; "surge_text" holds the text.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from hotline.errors import HotlineError

PROMPT_KEY = "surge_prompt"
TEXT_KEY = "surge_text"
VOICE = "cmn-latn-pinyin"
ASTERISK_WAV = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
MAX_TEXT = 500
MAX_SECONDS = 120       # a caller should not wait minutes before reaching a human


def active_surge_prompt(session: Session) -> str | None:
    """The prompt to play before a new call (no extension), or None when the announcement is off."""
    from db.models import CentreSetting

    row = session.get(CentreSetting, PROMPT_KEY)
    if row is None or not row.value:
        return None
    if not Path(row.value + ".wav").exists():   # deleted by hand: never play silence or an error
        return None
    return row.value


def surge_status(session: Session) -> dict:
    from db.models import CentreSetting

    prompt, text = session.get(CentreSetting, PROMPT_KEY), session.get(CentreSetting, TEXT_KEY)
    return {"on": bool(prompt and prompt.value), "prompt": prompt.value if prompt else "",
            "text": text.value if text else "", "by": prompt.updated_by if prompt else None,
            "updated_at": prompt.updated_at.isoformat() if prompt and prompt.updated_at else None}


def _store(session: Session, prompt: str, text: str, by: str) -> None:
    from db.models import CentreSetting

    for key, value in ((PROMPT_KEY, prompt), (TEXT_KEY, text)):
        row = session.get(CentreSetting, key)
        if row is None:
            session.add(CentreSetting(key=key, value=value, updated_by=by))
        else:
            row.value, row.updated_by = value, by
    session.flush()


def _target(prompts_dir: Path, now: dt.datetime) -> Path:
    folder = prompts_dir / "surge"
    folder.mkdir(parents=True, exist_ok=True)
    stem = now.strftime("%Y%m%d-%H%M%S")
    n = 0
    while (folder / f"{stem}{'-' + str(n) if n else ''}.wav").exists():
        n += 1
    return folder / f"{stem}{'-' + str(n) if n else ''}"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise HotlineError(f"{name} is missing: the announcement cannot be made", f"apt-get install -y {name}")
    return path


def _to_asterisk_wav(source: Path, target: Path) -> None:
    done = subprocess.run([_tool("sox"), str(source), *ASTERISK_WAV, f"{target}.wav",
                           "trim", "0", str(MAX_SECONDS)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise HotlineError(f"the sound could not be converted: {done.stderr.strip()[:200]}",
                           "upload a WAV file (any rate, mono or stereo)")


def speak(text: str, prompts_dir: Path, now: dt.datetime) -> Path:
    """Text → ``<prompts_dir>/surge/<stamp>.wav`` (8 kHz mono 16-bit); returns the path without extension."""
    text = " ".join(text.split())
    if not text:
        raise HotlineError("the announcement text is empty")
    if len(text) > MAX_TEXT:
        raise HotlineError(f"the announcement is longer than {MAX_TEXT} characters", "say it shorter")
    target = _target(prompts_dir, now)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        done = subprocess.run([_tool("espeak-ng"), "-v", VOICE, "-s", "150", "-w", str(raw), text],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or not raw.exists():
            raise HotlineError(f"espeak-ng failed: {done.stderr.strip()[:200]}")
        _to_asterisk_wav(raw, target)
    return target


def switch_on_text(session: Session, prompts_dir: Path, text: str, by: str, now: dt.datetime) -> str:
    """Speak ``text`` and play it before every new call from now on; returns the prompt."""
    prompt = str(speak(text, prompts_dir, now))
    _store(session, prompt, " ".join(text.split()), by)
    return prompt


def switch_on_recording(session: Session, prompts_dir: Path, upload: Path, by: str, now: dt.datetime,
                        text: str = "") -> str:
    """An uploaded recording (WAV) instead of speech; ``text`` is what it says, for the wallboard."""
    target = _target(prompts_dir, now)
    _to_asterisk_wav(upload, target)
    _store(session, str(target), " ".join(text.split()), by)
    return str(target)


def switch_off(session: Session, by: str) -> None:
    """Calls go straight on again; the text and the files stay (the record of what was played)."""
    from db.models import CentreSetting

    text = session.get(CentreSetting, TEXT_KEY)
    _store(session, "", text.value if text else "", by)
