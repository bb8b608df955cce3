"""The Asterisk data folder of an instance: the packaged one, plus the hotline's prompts per language.

Asterisk finds a sound by the channel's language: ``Playback(hotline/welcome)``
on a ``zh`` channel plays ``sounds/zh/hotline/welcome.wav``. We give each
instance its own data folder made of symlinks: everything Debian ships, with
``sounds/<lang>/hotline`` pointing at the generated (or recorded) prompts in
the run folder, and sub-folders Asterisk's own say-number code needs
(``sounds/zh/digits``) taken from the prompts where Debian has none.
Symlink targets are paths as seen by Asterisk (inside the sandbox root).
"""
from __future__ import annotations

import os
from pathlib import Path

HOTLINE_NAMESPACE = "hotline"   # prompts are played as hotline/<name>


def resolve_inside(root: Path | None, path: str, depth: int = 10) -> str:
    """Follow symlinks of ``path`` the way a process chrooted into ``root`` sees them."""
    base = root or Path("/")
    for _ in range(depth):
        host = base / path.lstrip("/")
        if not host.is_symlink():
            return path
        target = os.readlink(host)
        path = target if target.startswith("/") else str(Path(path).parent / target)
        path = os.path.normpath(path)
    return path


def build_data_dir(target: Path, root: Path | None, packaged: str, prompts_dir: Path,
                   languages: tuple[str, ...] = ("zh", "en")) -> Path:
    """(Re)create ``target`` as the instance's astdatadir; returns it."""
    base = root or Path("/")
    _fresh_dir(target)
    for entry in _entries(base / packaged.lstrip("/")):
        if entry.name != "sounds":
            os.symlink(f"{packaged}/{entry.name}", target / entry.name)
    sounds_in = f"{packaged}/sounds"
    sounds = target / "sounds"
    sounds.mkdir()
    for entry in _entries(base / sounds_in.lstrip("/")):
        if entry.name not in languages:
            os.symlink(f"{sounds_in}/{entry.name}", sounds / entry.name)
    for lang in languages:
        lang_dir = sounds / lang
        lang_dir.mkdir()
        packaged_lang = resolve_inside(root, f"{sounds_in}/{lang}")
        packaged_host = base / packaged_lang.lstrip("/")
        shipped = set()
        if packaged_host.is_dir():
            for entry in sorted(packaged_host.iterdir()):
                os.symlink(f"{packaged_lang}/{entry.name}", lang_dir / entry.name)
                shipped.add(entry.name)
        ours = prompts_dir / lang
        ours.mkdir(parents=True, exist_ok=True)
        os.symlink(str(ours), lang_dir / HOTLINE_NAMESPACE)
        for sub in sorted(p for p in ours.iterdir() if p.is_dir()):
            if sub.name not in shipped:      # e.g. zh/digits for Asterisk's say-number
                os.symlink(str(sub), lang_dir / sub.name)
    return target


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _fresh_dir(path: Path) -> None:
    if path.exists():
        for dirpath, dirnames, filenames in os.walk(path, topdown=False):
            for name in filenames + dirnames:
                p = Path(dirpath) / name
                if p.is_symlink() or p.is_file():
                    p.unlink()
                else:
                    p.rmdir()
    path.mkdir(parents=True, exist_ok=True)
