"""Text to an Asterisk-ready wav, offline: espeak-ng speaks, sox converts.

Offline on purpose: a government hotline's prompts must build on a machine
without internet access.  Mandarin uses espeak-ng's ``cmn-latn-pinyin`` voice
(with ``cmn``, espeak-ng 1.51 reads hanzi as pinyin with English tone numbers).
Asterisk's ``wav`` format is 8 kHz, mono, 16-bit signed PCM.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import HotlineError
from hotline.media import ASTERISK_WAV


@dataclass(frozen=True)
class Segment:
    """A stretch of text in one language; a prompt may mix languages ("…请按9。For English, press 9.")."""
    language: str
    text: str


VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
SPEED_WPM = {"zh": 160, "en": 150}     # slower than espeak's 175: callers are not all young
# sox effects after the voice: trim espeak's silence at both ends (say-number plays digit files
# back to back), level to -3 dBFS (espeak clips at 8 kHz otherwise), a short tail
EFFECTS = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
           "gain", "-n", "-3", "pad", "0", "0.15"]
PROMPT_FILE_MODE, PROMPT_FOLDER_MODE = 0o644, 0o755
PIPELINE_VERSION = "1"   # bump when the commands change, so every generated prompt is made again


def check_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise HotlineError(f"{' and '.join(missing)} missing: voice prompts cannot be generated",
                           "apt-get install -y espeak-ng sox")


def fingerprint(segments: Sequence[Segment]) -> str:
    """Changes when anything that shapes the sound changes: text, voices, speeds, pipeline."""
    parts = [PIPELINE_VERSION, " ".join(EFFECTS)]
    for seg in segments:
        parts += [seg.language, VOICES[seg.language], str(SPEED_WPM[seg.language]), seg.text]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def synthesize(segments: Sequence[Segment], target: Path, work_dir: Path | None = None, *,
               label: str = "") -> None:
    """Write ``target`` (8 kHz mono 16-bit wav) atomically: Asterisk never sees half a file.

    ``work_dir`` must be on the same file system as ``target`` (default: its folder);
    ``label`` names the prompt in error messages.
    """
    _make_folder(target.parent)
    with tempfile.TemporaryDirectory(prefix=".tts-", dir=work_dir or target.parent) as tmp:
        pieces = []
        for i, seg in enumerate(segments):
            piece = Path(tmp) / f"{i}.wav"
            _run(["espeak-ng", "-v", VOICES[seg.language], "-s", str(SPEED_WPM[seg.language]), "-b", "1",
                  "-w", str(piece), "--stdin"], seg.text, label or str(target))
            pieces.append(str(piece))
        out = Path(tmp) / "out.wav"
        _run(["sox", *pieces, "-t", "wav", *ASTERISK_WAV, str(out), *EFFECTS], None, label or str(target))
        out.chmod(PROMPT_FILE_MODE)   # Asterisk's own user reads it, whatever the umask of the builder (rq worker: 027)
        out.replace(target)


def _make_folder(folder: Path) -> None:
    """``folder`` and any parents it needs, open to Asterisk's user (prompts are not secret)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        new.chmod(PROMPT_FOLDER_MODE)


def _run(cmd: list[str], text: str | None, label: str) -> None:
    done = subprocess.run(cmd, input=text.encode() if text is not None else None, capture_output=True)
    if done.returncode != 0:
        raise HotlineError(f"{cmd[0]} failed for prompt {label}: "
                           f"{done.stderr.decode(errors='replace').strip()[:300]}",
                           f"run it by hand: {' '.join(cmd)}")
