"""One running Asterisk: its folders, its rendered configuration, start and stop.

The hotline runs two: ``pbx`` (the hotline itself) and ``carrier`` (a stand-in for
the telecom carrier, the emergency and department trunks, and the agents'
softphones, used by ``hotline call``, the demo and the tests).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from hotline.config import AMI_USERS, ASTERISK_CONF_DIR, AmiUser, Settings
from hotline.errors import HotlineError
from hotline.ports import assert_free
from ops.asterisk import run_user
from ops.asterisk.binary import AsteriskBinary
from ops.asterisk.sounds import build_data_dir


@dataclass
class AsteriskInstance:
    name: str                      # "pbx" or "carrier": also the template folder
    binary: AsteriskBinary
    settings: Settings
    sip_port: int
    ami_port: int
    rtp_start: int
    extra: dict = field(default_factory=dict)

    @property
    def run_user(self) -> run_user.RunUser:
        """Asterisk's own account (root only where the set-up cannot give it one: see ``reason``)."""
        if "run_user" not in self.extra:
            self.extra["run_user"] = run_user.resolve(self.binary)
        return self.extra["run_user"]

    @property
    def ami_users(self) -> list[AmiUser]:
        """This instance's AMI users (hotline.config.AMI_USERS): one per service, least privilege."""
        return [u for u in AMI_USERS.values() if u.instance == self.name]

    # --- folders ------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        return self.settings.run_dir / "asterisk" / self.name

    @property
    def etc_dir(self) -> Path:
        return self.base_dir / "etc"

    @property
    def config_file(self) -> Path:
        return self.etc_dir / "asterisk.conf"

    @property
    def log_file(self) -> Path:
        return self.settings.log_dir / f"asterisk-{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.settings.pid_dir / f"asterisk-{self.name}.pid"

    # --- configuration -------------------------------------------------------
    def render(self, context: dict) -> list[Path]:
        """Render ``asterisk_conf/common`` then ``asterisk_conf/<name>`` into etc/."""
        for sub in ("etc", "log", "log/cdr-custom", "spool", "run", "db", "keys"):   # cdr_custom writes no folder
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        data_dir = build_data_dir(self.base_dir / "data", self.binary.root, self.binary.data_dir,
                                  self.settings.prompts_dir)
        user = self.run_user
        ctx = {
            **context,
            "instance": self,
            "run_user": user.name,
            "settings": self.settings,
            "ports": self.settings.ports,
            "base_dir": str(self.base_dir),
            "modules_dir": self.binary.modules_dir,
            "data_dir": str(data_dir),
        }
        written = []
        os.chmod(self.etc_dir, 0o700)
        for folder in (ASTERISK_CONF_DIR / "common", ASTERISK_CONF_DIR / self.name):
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)),
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
            for template in sorted(folder.glob("*.conf")):
                target = self.etc_dir / template.name
                _write_private(target, env.get_template(template.name).render(ctx))
                written.append(target)
        self.settings.ensure_dirs()
        run_user.give([self.base_dir, self.settings.recordings_dir], user)
        run_user.let_through(self.settings.run_dir, user)
        return written

    # --- process -------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = 40.0) -> int:
        if (pid := self.pid()) is not None:
            return pid
        assert_free(self.settings.bind_host, self.ami_port, f"Asterisk {self.name} AMI")
        assert_free(self.settings.bind_host, self.sip_port, f"Asterisk {self.name} SIP", udp=True)
        self.settings.ensure_dirs()
        self.binary.expose(self.settings.run_dir)
        fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        os.chmod(self.log_file, 0o640)
        log = os.fdopen(fd, "ab")
        # umask 027: Asterisk's own logs (messages, security, cdr) are 0640, its folders 0750
        proc = subprocess.Popen(self.binary.command("-C", str(self.config_file), "-f", "-n", "-q"),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, umask=0o027)
        log.close()   # the child has its own copy
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise HotlineError(f"Asterisk {self.name} exited at start (code {proc.returncode})",
                                   f"read {self.log_file} and {self.base_dir / 'log' / 'messages'}")
            out = self.cli("core waitfullybooted", check=False, timeout=max(1.0, deadline - time.monotonic()))
            if "fully booted" in out.lower():
                return proc.pid
            time.sleep(0.2)
        self.stop()
        raise HotlineError(f"Asterisk {self.name} did not finish booting within {timeout:.0f}s",
                           f"read {self.log_file}")

    def stop(self, timeout: float = 15.0) -> bool:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        self.cli("core stop now", check=False, timeout=5)
        if not _wait_gone(pid, timeout):
            os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self.pid_file.unlink(missing_ok=True)
        return True

    def cli(self, command: str, *, check: bool = True, timeout: float = 15.0) -> str:
        """Run one CLI command on the running instance (``asterisk -rx``)."""
        try:
            done = subprocess.run(self.binary.command("-C", str(self.config_file), "-rx", command),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise HotlineError(f"Asterisk {self.name} did not answer `{command}` within {timeout:.0f}s")
            return ""
        if check and done.returncode != 0:
            raise HotlineError(f"Asterisk {self.name} is not running or refused `{command}`: "
                               f"{(done.stderr or done.stdout).strip()}", "`hotline asterisk up`")
        return done.stdout

    def reload(self) -> None:
        # a reload re-reads every module's configuration; on a busy machine it has taken over 15 s
        self.cli("core reload", timeout=60)


def _write_private(path: Path, text: str) -> None:
    """Write a rendered file 0600 from the first byte (manager.conf, pjsip.conf hold secrets)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reap if it is our child
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False
