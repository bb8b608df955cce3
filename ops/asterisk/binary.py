"""Where the Asterisk binary comes from: one on PATH, or a cached Debian sid root.

Debian 12 ships no Asterisk, but sid has Asterisk 22.  We debootstrap a minimal
sid root once, install Asterisk in it, cache it, and run Asterisk with chroot.
The run folder is bind-mounted into the root at the same path, so every path
Asterisk reports (recordings, logs) is a valid path on the host as well.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import HotlineError

DEFAULT_CACHE = Path(os.environ.get("HOTLINE_ASTERISK_CACHE", "/var/cache/hotline"))
SUITE_MIRROR = os.environ.get("HOTLINE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
APT_NO_EXPIRY = ["-o", "Acquire::Check-Valid-Until=false"]


@dataclass(frozen=True)
class AsteriskBinary:
    """How to run ``asterisk``: directly, or inside ``root`` with chroot."""

    root: Path | None  # None: the system asterisk on PATH

    def command(self, *args: str) -> list[str]:
        if self.root is None:
            return ["asterisk", *args]
        return ["chroot", str(self.root), "asterisk", *args]

    @property
    def modules_dir(self) -> str:
        return _first_existing(self.root, ["/usr/lib/x86_64-linux-gnu/asterisk/modules",
                                           "/usr/lib/asterisk/modules", "/usr/lib64/asterisk/modules"])

    @property
    def data_dir(self) -> str:
        return _first_existing(self.root, ["/usr/share/asterisk", "/var/lib/asterisk"])

    def version(self) -> str:
        out = subprocess.run(self.command("-V"), capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or out.stderr.strip()

    # --- the run folder must be visible inside the root -----------------------
    def expose(self, folder: Path) -> None:
        """Bind-mount ``folder`` at the same path inside the root (and /proc once)."""
        if self.root is None:
            return
        _mount(["-t", "proc", "proc"], self.root / "proc")
        _mount(["--bind", str(folder)], self.root / str(folder).lstrip("/"))

    def unexpose(self, folder: Path) -> None:
        if self.root is None:
            return
        target = self.root / str(folder).lstrip("/")
        if _is_mounted(target):
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _first_existing(root: Path | None, candidates: list[str]) -> str:
    base = root or Path("/")
    for c in candidates:
        if (base / c.lstrip("/")).is_dir():
            return c
    return candidates[0]


def _is_mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == target for line in f)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(prefix)]


def _mount(args: list[str], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if _is_mounted(target):
        return
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        raise HotlineError(f"cannot mount {target}: {done.stderr.strip()}",
                           "run as root on a machine that allows bind mounts, or install asterisk on PATH")


def locate(explicit_root: Path | None = None, *, build: bool = False) -> AsteriskBinary:
    """The Asterisk to use: an explicit root, else ``asterisk`` on PATH, else the cached sandbox."""
    if explicit_root is not None:
        if not (explicit_root / "usr/sbin/asterisk").exists():
            raise HotlineError(f"no Asterisk in the root {explicit_root}",
                               "unset HOTLINE_ASTERISK_ROOT, or run `hotline asterisk provision`")
        return AsteriskBinary(explicit_root)
    if shutil.which("asterisk"):
        return AsteriskBinary(None)
    root = DEFAULT_CACHE / "asterisk-root"
    if (root / "usr/sbin/asterisk").exists():
        return AsteriskBinary(root)
    if build:
        return AsteriskBinary(build_sandbox(root))
    raise HotlineError("Asterisk is not installed and no sandbox root is cached",
                       "run `hotline asterisk provision` (as root, needs debootstrap and network to Debian)")


def build_sandbox(root: Path, log=print) -> Path:
    """debootstrap sid and install Debian's Asterisk 22 into ``root`` (about a minute)."""
    if os.geteuid() != 0:
        raise HotlineError("building the Asterisk sandbox needs root (debootstrap, chroot)",
                           "run the command as root, or install asterisk on PATH")
    if not shutil.which("debootstrap"):
        raise HotlineError("debootstrap is missing", "apt-get install -y debootstrap")
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    steps = [
        ["debootstrap", "--variant=minbase", "sid", str(tmp), SUITE_MIRROR],
        ["chroot", str(tmp), "apt-get", *APT_NO_EXPIRY, "update"],
        ["chroot", str(tmp), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", *APT_NO_EXPIRY,
         "install", "-y", "--no-install-recommends", "asterisk", "asterisk-modules"],
    ]
    for step in steps:
        log(f"asterisk sandbox: {' '.join(step[:4])} ...")
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise HotlineError(f"building the Asterisk sandbox failed at `{' '.join(step[:3])}`:\n{tail}",
                               "check that Debian's package registry is reachable, then run "
                               "`hotline asterisk provision` again")
    if root.exists():
        if _mounts_under(root):
            raise HotlineError(f"{root} still has mounts (a running instance?)", "run `hotline down` first")
        shutil.rmtree(root)
    tmp.rename(root)
    log(f"asterisk sandbox ready in {time.monotonic() - started:.0f}s at {root}")
    return root
