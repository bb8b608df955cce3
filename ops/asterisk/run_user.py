"""The user Asterisk runs as (运行用户): its own ``asterisk`` account, not root.

Asterisk starts as root (to chroot), then drops to ``runuser``. For a sandbox
root the account lives in the root's /etc/passwd, but the files it writes are
in the run folder, bind-mounted from the host: its numbers must mean the same
account on the host, or the host would see another user (here uid 101 was
``postgres``) own the PBX's secrets and recordings. So the host gets a system
account ``asterisk`` and the sandbox's ``asterisk`` is renumbered to match,
once. Where that cannot be done (not root, no useradd), Asterisk stays root and
``reason`` says why.
"""
from __future__ import annotations

import fcntl
import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ops.asterisk.binary import AsteriskBinary

NAME = "asterisk"
PACKAGE_DIRS = ("var/lib/asterisk", "var/spool/asterisk", "var/log/asterisk", "etc/asterisk", "var/cache/asterisk",
                "run/asterisk")


@dataclass(frozen=True)
class RunUser:
    name: str
    uid: int
    gid: int
    reason: str = ""       # why it is root, when it is

    @property
    def is_root(self) -> bool:
        return self.uid == 0


ROOT = RunUser("root", 0, 0)


def _passwd_entry(passwd: Path, name: str) -> tuple[int, int] | None:
    try:
        for line in passwd.read_text().splitlines():
            fields = line.split(":")
            if len(fields) >= 4 and fields[0] == name:
                return int(fields[2]), int(fields[3])
    except (FileNotFoundError, ValueError):
        return None
    return None


def _host_account(*, create: bool) -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(NAME)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        pass
    if not create or os.geteuid() != 0 or not shutil.which("useradd"):
        return None
    done = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                           "/nonexistent", "--shell", "/usr/sbin/nologin", NAME], capture_output=True, text=True)
    if done.returncode not in (0, 9):   # 9: created meanwhile by another process
        return None
    entry = pwd.getpwnam(NAME)
    return entry.pw_uid, entry.pw_gid


def resolve(binary: AsteriskBinary) -> RunUser:
    """The account to put in asterisk.conf's runuser/rungroup (aligning the sandbox's if needed)."""
    if binary.root is None:                     # a system Asterisk: Debian's package made the account
        host = _host_account(create=False)
        return RunUser(NAME, *host) if host else RunUser("root", 0, 0, "no `asterisk` account on this host")
    inside = _passwd_entry(binary.root / "etc/passwd", NAME)
    if inside is None:
        return RunUser("root", 0, 0, f"the Asterisk root {binary.root} has no `asterisk` account")
    host = _host_account(create=True)
    if host is None:
        return RunUser("root", 0, 0, "no `asterisk` account on the host and none can be made (not root)")
    if inside != host:
        _renumber(binary.root, inside, host)
        inside = _passwd_entry(binary.root / "etc/passwd", NAME)
        if inside != host:
            return RunUser("root", 0, 0, f"the sandbox's `asterisk` could not be renumbered to {host}")
    return RunUser(NAME, *host)


def _renumber(root: Path, old: tuple[int, int], new: tuple[int, int]) -> None:
    """Give the sandbox's ``asterisk`` the host account's numbers (once; under a lock)."""
    with open(root / ".hotline-run-user.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _passwd_entry(root / "etc/passwd", NAME) != old:
            return                               # another process did it meanwhile
        uid, gid = new
        for step in (["groupmod", "-o", "-g", str(gid), NAME], ["usermod", "-o", "-u", str(uid), "-g", str(gid), NAME]):
            subprocess.run(["chroot", str(root), *step], capture_output=True, text=True)
        for rel in PACKAGE_DIRS:
            top = root / rel
            if not top.is_dir():
                continue
            found = [top] + [Path(f, n) for f, dirs, files in os.walk(top) for n in (*dirs, *files)]
            for path in found:
                st = path.lstat()
                if st.st_uid == old[0] or st.st_gid == old[1]:
                    os.lchown(path, uid if st.st_uid == old[0] else -1, gid if st.st_gid == old[1] else -1)


def give(paths: list[Path], user: RunUser) -> None:
    """Make Asterisk's own folders (and everything in them) belong to ``user``."""
    if user.is_root:
        return
    for top in paths:
        if not top.exists():
            continue
        os.lchown(top, user.uid, user.gid)
        for folder, dirs, files in os.walk(top):          # never follows links (data/ links the sounds)
            for name in (*dirs, *files):
                os.lchown(os.path.join(folder, name), user.uid, user.gid)


def let_through(folder: Path, user: RunUser) -> None:
    """``folder`` (the run folder) may be passed through by Asterisk's group, not listed or read by others."""
    if user.is_root:
        return
    st = folder.stat()
    os.chown(folder, -1, user.gid)
    os.chmod(folder, (st.st_mode & 0o700) | 0o010)


def group_name(user: RunUser) -> str:
    try:
        return grp.getgrgid(user.gid).gr_name
    except KeyError:
        return str(user.gid)
