"""Sound files the hotline generates for itself (no binary media in the repo)."""
from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import HotlineError

ASTERISK_WAV = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]


def ensure_hold_music(folder: Path) -> Path | None:
    """A calm 30-second chime loop for callers waiting in a queue, made once with sox."""
    target = folder / "chime.wav"
    if target.exists():
        return target
    if not shutil.which("sox"):
        raise HotlineError("sox is missing: hold music cannot be generated", "apt-get install -y sox")
    folder.mkdir(parents=True, exist_ok=True)
    notes = ["C5", "E5", "G5", "E5", "D5", "F5", "A5", "F5"]
    parts = []
    for i, note in enumerate(notes):
        part = folder / f".note{i}.wav"
        subprocess.run(["sox", "-n", *ASTERISK_WAV, str(part), "synth", "0.9", "sine", note,
                        "fade", "q", "0.05", "0.9", "0.6", "vol", "0.25", "pad", "0", "2.85"],
                       check=True, capture_output=True)
        parts.append(str(part))
    subprocess.run(["sox", *parts, str(target)], check=True, capture_output=True)
    for p in parts:
        Path(p).unlink()
    return target


def convert_upload(source: Path, target: Path, *, max_seconds: int) -> None:
    """Any WAV a person uploads → an Asterisk wav at ``target``, cut at ``max_seconds``."""
    if not shutil.which("sox"):
        raise HotlineError("sox is missing: the sound cannot be converted", "apt-get install -y sox")
    done = subprocess.run(["sox", str(source), *ASTERISK_WAV, str(target), "trim", "0", str(max_seconds)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise HotlineError(f"the sound could not be converted: {done.stderr.strip()[:200]}",
                           "upload a WAV file (any rate, mono or stereo)")


@dataclass(frozen=True)
class AudioStats:
    """What sox says about a sound file: its length and how loud it is."""

    seconds: float
    rms: float                 # RMS amplitude, 0 … 1 (full scale)

    @property
    def rms_db(self) -> float:
        """The RMS level in dBFS; digital silence is -inf."""
        return 20 * math.log10(self.rms) if self.rms > 0 else float("-inf")


def audio_stats(path: Path) -> AudioStats:
    """Length and RMS level of a sound file (``sox FILE -n stat``); HotlineError if sox cannot read it."""
    if not shutil.which("sox"):
        raise HotlineError("sox is missing: the sound cannot be measured", "apt-get install -y sox")
    done = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, timeout=60)
    values: dict[str, str] = {}
    for row in done.stderr.splitlines():   # sox writes stat's table to stderr
        name, sep, value = row.partition(":")
        if sep:
            values[name.strip()] = value.strip()
    try:
        return AudioStats(seconds=float(values["Length (seconds)"]), rms=float(values["RMS     amplitude"]))
    except (KeyError, ValueError):
        raise HotlineError(f"sox could not measure {path.name}: {done.stderr.strip()[:200]}",
                           "is it a sound file? (sox FILE -n stat)") from None
