"""A line's greeting (欢迎语): the admin's text spoken into ``line-<number>``, or an uploaded recording.

The files go straight into the prompts folder without a manifest entry, so
``hotline prompts build`` takes them for recordings and never overwrites or
prunes them; an uploaded recording is a separate prompt that wins over the text.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from centre_config.errors import ConfigInvalid
from centre_config.lines import recording_prompt, text_prompt
from hotline.config import Settings
from hotline.media import ASTERISK_WAV
from hotline.tts import Segment, synthesize

MAX_RECORDING_BYTES = 10 * 1024 * 1024
MAX_RECORDING_SECONDS = 60


def speak(settings: Settings, number: str, language: str, text: str) -> Path:
    """(Re)make the prompt of the line's greeting text; atomic, so a call never hears half a file."""
    target = settings.prompts_dir / language / f"{text_prompt(number)}.wav"
    synthesize([Segment(language, text)], target, label=f"greeting of line {number}")
    return target


def store_recording(settings: Settings, number: str, language: str, data: bytes, filename: str = "") -> str:
    """Convert an upload (any format sox reads: wav, mp3, ogg…) to Asterisk's wav; returns its prompt name."""
    if not data:
        raise ConfigInvalid(f"recording for line {number}", {"recording": "the file is empty"})
    if len(data) > MAX_RECORDING_BYTES:
        raise ConfigInvalid(f"recording for line {number}",
                            {"recording": f"{len(data)} bytes; at most {MAX_RECORDING_BYTES}"})
    name = recording_prompt(number)
    target = settings.prompts_dir / language / f"{name}.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower() or ".wav"
    with tempfile.TemporaryDirectory(prefix=".upload-", dir=target.parent) as tmp:
        source = Path(tmp) / f"upload{suffix}"
        source.write_bytes(data)
        out = Path(tmp) / "out.wav"
        done = subprocess.run(["sox", str(source), *ASTERISK_WAV, str(out), "trim", "0",
                               str(MAX_RECORDING_SECONDS)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ConfigInvalid(f"recording for line {number}",
                                {"recording": f"not a sound file sox can read ({done.stderr.strip()[:200]})"})
        out.replace(target)
    return name


def remove_files(settings: Settings, number: str) -> None:
    for language_dir in settings.prompts_dir.iterdir() if settings.prompts_dir.exists() else ():
        for name in (text_prompt(number), recording_prompt(number)):
            (language_dir / f"{name}.wav").unlink(missing_ok=True)
