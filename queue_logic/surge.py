"""Surge announcement (热点播报): one hot-topic message played before every new call.

Jinan calmed 12,822 calls in one day (the 2011 salt panic) with a unified
announcement. A supervisor types a text (spoken by ``hotline.tts``, the same
voice, speed and levels as every other prompt) or uploads a recording; it plays before every new call
until switched off.

Contract with the inbound call path: CentreSetting "surge_prompt" holds the
prompt to play — a path without extension to an 8 kHz mono 16-bit wav under
``<prompts_dir>/surge/`` — and is empty when off; "surge_text" holds the text.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import CentreSetting
from hotline import media, tts
from hotline.errors import HotlineError

PROMPT_KEY = "surge_prompt"
TEXT_KEY = "surge_text"
MAX_TEXT = 500
MAX_SECONDS = 120       # a caller should not wait minutes before reaching a human


def playable_prompt(setting_value: str | None) -> str | None:
    """The one rule: the prompt to play before a new call (no extension), or None when it is off
    or its file is gone (deleted by hand: never play silence or an error)."""
    if not setting_value or not Path(setting_value + ".wav").exists():
        return None
    return setting_value


def active_surge_prompt(session: Session) -> str | None:
    row = session.get(CentreSetting, PROMPT_KEY)
    return playable_prompt(row.value if row is not None else None)


def surge_status(session: Session) -> dict:
    prompt, text = session.get(CentreSetting, PROMPT_KEY), session.get(CentreSetting, TEXT_KEY)
    return {"on": bool(prompt and prompt.value), "prompt": prompt.value if prompt else "",
            "text": text.value if text else "", "by": prompt.updated_by if prompt else None,
            "updated_at": prompt.updated_at.isoformat() if prompt and prompt.updated_at else None}


def _store(session: Session, prompt: str, text: str, by: str) -> None:
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


def speak(text: str, prompts_dir: Path, now: dt.datetime) -> Path:
    """Text → ``<prompts_dir>/surge/<stamp>.wav`` (8 kHz mono 16-bit); returns the path without extension."""
    text = " ".join(text.split())
    if not text:
        raise HotlineError("the announcement text is empty")
    if len(text) > MAX_TEXT:
        raise HotlineError(f"the announcement is longer than {MAX_TEXT} characters", "say it shorter")
    tts.check_tools()
    target = _target(prompts_dir, now)
    tts.synthesize([tts.Segment("zh", text)], Path(f"{target}.wav"), label="surge announcement")
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
    media.convert_upload(upload, Path(f"{target}.wav"), max_seconds=MAX_SECONDS)
    _store(session, str(target), " ".join(text.split()), by)
    return str(target)


def switch_off(session: Session, by: str) -> None:
    """Calls go straight on again; the text and the files stay (the record of what was played)."""
    text = session.get(CentreSetting, TEXT_KEY)
    _store(session, "", text.value if text else "", by)
