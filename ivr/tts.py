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
from pathlib import Path

from hotline.errors import HotlineError
from hotline.media import ASTERISK_WAV
from ivr.prompt_texts import PromptText

VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
SPEED_WPM = {"zh": 160, "en": 150}     # slower than espeak's 175: callers are not all young
# sox effects after the voice: trim espeak's silence at both ends (say-number plays digit files
# back to back), level to -3 dBFS (espeak clips at 8 kHz otherwise), a short tail
EFFECTS = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
           "gain", "-n", "-3", "pad", "0", "0.15"]
PIPELINE_VERSION = "1"   # bump when the commands change, so every generated prompt is made again


def check_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise HotlineError(f"{' and '.join(missing)} missing: voice prompts cannot be generated",
                           "apt-get install -y espeak-ng sox")


def fingerprint(prompt: PromptText) -> str:
    """Changes when anything that shapes the sound changes: text, voices, speeds, pipeline."""
    parts = [PIPELINE_VERSION, " ".join(EFFECTS)]
    for seg in prompt.segments:
        parts += [seg.language, VOICES[seg.language], str(SPEED_WPM[seg.language]), seg.text]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def synthesize(prompt: PromptText, target: Path, work_dir: Path | None = None) -> None:
    """Write ``target`` (8 kHz mono 16-bit wav) atomically: Asterisk never sees half a file.

    ``work_dir`` must be on the same file system as ``target`` (default: its folder).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tts-", dir=work_dir or target.parent) as tmp:
        pieces = []
        for i, seg in enumerate(prompt.segments):
            piece = Path(tmp) / f"{i}.wav"
            _run(["espeak-ng", "-v", VOICES[seg.language], "-s", str(SPEED_WPM[seg.language]), "-b", "1",
                  "-w", str(piece), "--stdin"], seg.text, prompt)
            pieces.append(str(piece))
        out = Path(tmp) / "out.wav"
        _run(["sox", *pieces, "-t", "wav", *ASTERISK_WAV, str(out), *EFFECTS], None, prompt)
        out.replace(target)


def _run(cmd: list[str], text: str | None, prompt: PromptText) -> None:
    done = subprocess.run(cmd, input=text.encode() if text is not None else None, capture_output=True)
    if done.returncode != 0:
        raise HotlineError(f"{cmd[0]} failed for prompt {prompt.relative_path}: "
                           f"{done.stderr.decode(errors='replace').strip()[:300]}",
                           f"run it by hand: {' '.join(cmd)}")
