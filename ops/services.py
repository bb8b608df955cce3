"""Background services of one installation: started detached, with a pid file and a log each.

`hotline up` starts what is not running (twice is harmless), `hotline down`
stops everything, `hotline status` says what runs. Asterisk instances are
handled by ops.asterisk; this module runs the Python services.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.logs import open_log
from hotline.ports import assert_free


@dataclass
class Service:
    name: str
    argv: list[str]
    port: int | None = None            # a TCP port it must find free and then listen on
    ready: Callable[[int], bool] | None = None   # given the pid
    description: str = ""


def python_services(settings: Settings) -> list[Service]:
    me = [sys.executable, "-m", "ops.cli"]
    p = settings.ports
    return [
        Service("agi", [*me, "agi", "serve"], port=p.agi, ready=lambda pid: agi_answers(p.agi),
                description=f"FastAGI server on 127.0.0.1:{p.agi}"),
        Service("ami", [*me, "ami", "listen"], ready=lambda pid: _ami_listener_ready(settings),
                description="AMI listener → Redis"),
        Service("worker", [*me, "worker"], ready=lambda pid: _worker_ready(settings, pid),
                description="rq worker with scheduler"),
        Service("web", [*me, "web", "serve"], port=p.web,
                description=f"web panel on http://{settings.bind_host}:{p.web}/"),
    ]


def agi_answers(port: int, timeout: float = 2.0) -> bool:
    """A real FastAGI exchange with the ``ping`` script (it touches the database)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"agi_network_script: ping\nagi_uniqueid: healthcheck\n\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            return b"HOTLINE_AGI_ERROR" not in data
    except OSError:
        return False


def pid_of(settings: Settings, name: str) -> int | None:
    path = settings.pid_dir / f"{name}.pid"
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def start(settings: Settings, service: Service, timeout: float = 20.0) -> tuple[int, bool]:
    """Start ``service`` unless it runs; returns (pid, started_now)."""
    if (pid := pid_of(settings, service.name)) is not None:
        return pid, False
    if service.port is not None:
        assert_free(settings.bind_host, service.port, service.description or service.name)
    settings.ensure_dirs()
    log_path = settings.log_dir / f"{service.name}.log"
    with open_log(log_path) as log:
        proc = subprocess.Popen(service.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=_child_env(settings))
    (settings.pid_dir / f"{service.name}.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (settings.pid_dir / f"{service.name}.pid").unlink(missing_ok=True)
            raise HotlineError(f"{service.name} exited at start (code {proc.returncode}):\n"
                               f"{_tail(log_path)}", f"read {log_path}")
        if _is_ready(settings, service, proc.pid):
            return proc.pid, True
        time.sleep(0.1)
    stop(settings, service.name)
    raise HotlineError(f"{service.name} did not become ready within {timeout:.0f}s:\n{_tail(log_path)}",
                       f"read {log_path}")


def stop(settings: Settings, name: str, timeout: float = 10.0) -> bool:
    pid = pid_of(settings, name)
    path = settings.pid_dir / f"{name}.pid"
    if pid is None:
        path.unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie whose parent is not us still answers kill 0
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _is_ready(settings: Settings, service: Service, pid: int) -> bool:
    if service.ready is not None:
        return service.ready(pid)
    return service.port is None or _listening(settings.bind_host, service.port)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _ami_listener_ready(settings: Settings) -> bool:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    return bool(redis_client(settings).exists(Keys(settings.redis_prefix).listener_heartbeat))


def _worker_ready(settings: Settings, pid: int) -> bool:
    from rq import Worker

    from hotline.redis_conn import redis_client
    from ops.scheduler import worker_name

    return any(w.name == worker_name(settings, pid) for w in Worker.all(connection=redis_client(settings)))


def _child_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
