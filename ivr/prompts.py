"""The prompts folder (``settings.prompts_dir/<lang>/<name>.wav``): build it, find a prompt, list gaps.

``build`` makes every prompt text into a wav, and keeps a manifest of what it
made (with the text's fingerprint and the file's hash) so that

* a second run is fast: unchanged prompts are not made again;
* a file a person recorded (录音) and dropped in the folder — absent from the
  manifest, changed since it was generated, or in another format such as
  ``welcome.gsm`` — wins and is never overwritten or deleted.

Asterisk plays ``hotline/<name>`` from ``sounds/<lang>/hotline`` = ``prompts_dir/<lang>``
(ops/asterisk/sounds.py), so ``zh/welcome.wav`` is what a zh channel hears.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
import wave
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.tts import check_tools, fingerprint, synthesize
from ivr.menu import Menu, shipped_menus
from ivr.prompt_texts import PromptText, required_prompts, shipped_texts

MANIFEST = ".generated.json"
LOCK = ".build.lock"
WORK_DIR = ".work"
# formats Asterisk can play a prompt from; "wav" is what we generate
SOUND_EXTENSIONS = ("wav", "WAV", "wav16", "gsm", "sln", "sln16", "ulaw", "alaw", "g722", "g729", "ogg")


class PromptMissing(HotlineError):
    pass


@dataclass
class BuildReport:
    generated: list[str] = field(default_factory=list)   # "zh/welcome.wav", made by this run
    unchanged: list[str] = field(default_factory=list)   # made earlier, text unchanged
    recorded: list[str] = field(default_factory=list)    # a person's recording, left alone
    removed: list[str] = field(default_factory=list)     # generated earlier, its text is gone
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{len(self.generated)} generated, {len(self.unchanged)} unchanged, "
                f"{len(self.recorded)} recorded kept, {len(self.removed)} removed in {self.seconds:.1f} s")


def build(settings: Settings, *, force: bool = False, texts: Mapping[tuple[str, str], PromptText] | None = None,
          workers: int | None = None) -> BuildReport:
    """Make the prompts folder match the texts; ``force`` remakes every generated prompt (never recordings)."""
    started = time.monotonic()
    check_tools()
    texts = shipped_texts() if texts is None else texts
    root = settings.prompts_dir
    root.mkdir(parents=True, exist_ok=True)
    report = BuildReport()
    with _build_lock(root):
        manifest = _load_manifest(root)
        todo: list[PromptText] = []
        for _, prompt in sorted(texts.items()):
            rel = prompt.relative_path
            wav = root / rel
            entry = manifest.get(rel)
            ours = wav.exists() and entry is not None and entry.get("sha256") == _file_hash(wav)
            others = _other_formats(root, prompt.language, prompt.name)
            if wav.exists() and not ours:
                manifest.pop(rel, None)
                report.recorded.append(rel)
                report.warnings += _check_recording(wav, rel)
            elif others:
                if ours:   # a recording in another format arrived: ours must not compete with it
                    wav.unlink()
                    manifest.pop(rel, None)
                report.recorded.append(str(others[0].relative_to(root)))
            elif ours and entry.get("text") == fingerprint(prompt.segments) and not force:
                report.unchanged.append(rel)
            else:
                todo.append(prompt)
        _prune(root, manifest, {p.relative_path for p in texts.values()}, report)
        errors = _generate(root, todo, manifest, report, workers)
        _save_manifest(root, manifest)
    report.seconds = time.monotonic() - started
    if errors:
        raise errors[0]
    return report


def resolve(settings: Settings, lang: str, name: str) -> Path:
    """The file Asterisk will play for ``hotline/<name>`` on a ``lang`` channel."""
    for path in _candidates(settings.prompts_dir, lang, name):
        if path.exists():
            return path
    raise PromptMissing(f"prompt {lang}/{name} is missing in {settings.prompts_dir}",
                        "`hotline prompts build` generates it, or record it as "
                        f"{settings.prompts_dir / lang / name}.wav (8 kHz mono 16-bit)")


def exists(settings: Settings, lang: str, name: str) -> bool:
    return any(p.exists() for p in _candidates(settings.prompts_dir, lang, name))


def missing(settings: Settings, menus: Mapping[str, Menu] | None = None) -> list[str]:
    """``lang/name`` of every prompt the menus, the inbound path and the queues need but is not there."""
    menus = shipped_menus() if menus is None else menus
    return [f"{lang}/{name}" for lang, name in sorted(required_prompts(menus))
            if not exists(settings, lang, name)]


# --- inside ----------------------------------------------------------------------
def _generate(root: Path, todo: list[PromptText], manifest: dict, report: BuildReport,
              workers: int | None) -> list[Exception]:
    """espeak-ng and sox are single-threaded and short-lived: run several at once."""
    if not todo:
        return []
    work = root / WORK_DIR
    work.mkdir(exist_ok=True)

    def make(prompt: PromptText) -> Exception | None:
        try:
            synthesize(prompt.segments, root / prompt.relative_path, work_dir=work, label=prompt.relative_path)
        except Exception as exc:    # reported after the others are done and recorded
            return exc
        return None

    errors = []
    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) + 1)) as pool:
        for prompt, error in zip(todo, pool.map(make, todo)):
            if error is not None:
                errors.append(error)
                continue
            rel = prompt.relative_path
            manifest[rel] = {"text": fingerprint(prompt.segments), "sha256": _file_hash(root / rel)}
            report.generated.append(rel)
    with contextlib.suppress(OSError):
        work.rmdir()
    return errors


def _prune(root: Path, manifest: dict, wanted: set[str], report: BuildReport) -> None:
    """Generated files whose text was deleted go too; a recording never does."""
    for rel in sorted(set(manifest) - wanted):
        path = root / rel
        if path.exists() and manifest[rel].get("sha256") == _file_hash(path):
            path.unlink()
            report.removed.append(rel)
        manifest.pop(rel)


def _candidates(root: Path, lang: str, name: str) -> list[Path]:
    return [root / lang / f"{name}.{ext}" for ext in SOUND_EXTENSIONS]


def _other_formats(root: Path, lang: str, name: str) -> list[Path]:
    return [p for p in _candidates(root, lang, name)[1:] if p.exists()]


def _check_recording(path: Path, rel: str) -> list[str]:
    """Asterisk's wav format is 8 kHz mono 16-bit PCM; say so when a recording is not."""
    try:
        with wave.open(str(path), "rb") as w:
            shape = (w.getframerate(), w.getnchannels(), w.getsampwidth())
    except (wave.Error, EOFError, OSError) as exc:
        return [f"{rel}: recorded file is not a PCM wav Asterisk can play ({exc})"]
    if shape != (8000, 1, 2):
        return [f"{rel}: recorded at {shape[0]} Hz, {shape[1]} channel(s), {8 * shape[2]}-bit; Asterisk plays "
                f"only 8000 Hz mono 16-bit .wav: sox in.wav -r 8000 -c 1 -b 16 -e signed-integer {rel}"]
    return []


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_manifest(root: Path) -> dict:
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}   # unreadable: every existing file counts as recorded, nothing is overwritten
    return data.get("prompts", {}) if isinstance(data, dict) else {}


def _save_manifest(root: Path, manifest: dict) -> None:
    tmp = root / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps({"prompts": dict(sorted(manifest.items()))}, ensure_ascii=False, indent=1))
    tmp.replace(root / MANIFEST)


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """Two builds at once (the CLI and `hotline up`) would both write the manifest."""
    with open(root / LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
