"""Where the model lives: one joblib file in the run folder, written atomically, with its version and date.

The web panel loads it once and again only when the file changed (the job
replaced it), so a retrain reaches every worker without a restart.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the model needs scikit-learn and SciPy (~2 s to import): a web worker loads them at
    from dispatch_suggest.model import SuggestionModel  # its first suggestion, not at its boot

log = logging.getLogger("dispatch_suggest.store")

FILENAME = "dispatch_suggest.joblib"
STATUS_FILENAME = "dispatch_suggest.last_run.json"  # what the last training run said (e.g. too little history)


def model_path(run_dir: Path) -> Path:
    """``<run folder>/models/dispatch_suggest.joblib`` (the run folder of ``hotline.config.Settings``)."""
    return Path(run_dir) / "models" / FILENAME


def write_last_run(path: Path, outcome: dict) -> None:
    """Beside the model: the last run's outcome, so "no model yet" can say why."""
    target = path.with_name(STATUS_FILENAME)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(outcome, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)


def last_run(path: Path) -> dict | None:
    try:
        return json.loads(path.with_name(STATUS_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save(model: SuggestionModel, path: Path) -> Path:
    """Write to a temporary file beside it, then rename: a reader sees the old model or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dispatch_suggest-", suffix=".tmp")
    os.close(handle)
    try:
        import joblib

        joblib.dump(model, temporary, compress=3)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def load(path: Path) -> SuggestionModel | None:
    """The stored model, or None when there is none or it cannot be read (then it must be retrained)."""
    if not path.exists():
        return None
    try:
        import joblib

        from dispatch_suggest.model import SuggestionModel

        model = joblib.load(path)
    except Exception:  # a file of another library version, or cut short: retraining replaces it
        log.exception("the dispatch suggestion model %s cannot be read; retrain it", path)
        return None
    if not isinstance(model, SuggestionModel):
        log.error("%s holds no dispatch suggestion model; retrain it", path)
        return None
    return model


class CachedModel:
    """The model of one file, re-read only when the file's mtime or size changes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._model: SuggestionModel | None = None

    def get(self) -> SuggestionModel | None:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._model = load(self.path) if stamp else None
                self._stamp = stamp
            return self._model
