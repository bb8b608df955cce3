"""Background services of one installation, run by a real process manager (supervisord).

`hotline up` starts supervisord (once per run folder) with a configuration
generated under ``<run>/supervisor/`` (mode 0600, socket in a 0700 folder) and
asks it to start each Python service; supervisord restarts a service that
crashes (autorestart, at once, with a growing back-off only while it keeps
dying before STARTSECS). `hotline status` asks supervisord what runs;
`hotline down` stops every service and then supervisord itself. Asterisk
instances are handled by ops.asterisk; this module runs the Python services.

The services' environment is supervisord's own (given when it is started),
so no secret (a database password in DATABASE_URL) is written to the file.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.ports import assert_free

STARTSECS = 1          # a service that lives this long counts as started
START_RETRIES = 20     # fast crashes in a row before supervisord gives up (state FATAL)
STOP_WAIT = 10         # seconds between SIGTERM and SIGKILL
RUNNING = "RUNNING"


@dataclass
class Service:
    name: str
    argv: list[str]
    port: int | None = None            # a TCP port it must find free and then listen on
    ready: Callable[[int], bool] | None = None   # given the pid
    description: str = ""
    nice: int = 0       # CPU priority below the call path's (0): the PBX and FastAGI come first when cores are busy


# The call path first (niceness, nice(1)): when the cores are busy, a caller's FastAGI decision and the
# PBX run before a screen's refresh or a background job. Screens and jobs only wait a little longer.
SCREENS_NICE = 10      # web panel: hundreds of live screens, the busiest process under load
JOBS_NICE = 10         # rq worker and cron: reminders, roll-ups, prompt builds, the callback dialer's pacing


def python_services(settings: Settings) -> list[Service]:
    me = [sys.executable, "-m", "ops.cli"]
    p = settings.ports
    return [
        Service("agi", [*me, "agi", "serve"], port=p.agi, ready=lambda pid: agi_answers(p.agi),
                description=f"FastAGI server on 127.0.0.1:{p.agi}"),
        Service("ami", [*me, "ami", "listen"], ready=lambda pid: _ami_listener_ready(settings),
                description="AMI listener → Redis"),
        Service("sipguard", [*me, "asterisk", "guard"], ready=lambda pid: _sip_guard_ready(settings),
                description="SIP guard: repeated SIP auth failures → blocklist"),
        Service("worker", [*me, "worker"], ready=lambda pid: _worker_ready(settings, pid),
                description="rq worker", nice=JOBS_NICE),
        Service("cron", [*me, "cron"], ready=lambda pid: _cron_ready(settings, pid),
                description="rq cron scheduler (periodic jobs)", nice=JOBS_NICE),
        Service("department", [sys.executable, "-m", "selfservice.demo_department", "--port", str(p.demo_department)],
                port=p.demo_department, ready=lambda pid: _listening("127.0.0.1", p.demo_department),
                description=f"demo department system on http://127.0.0.1:{p.demo_department}/ (社保缴费记录)"),
        Service("web", [*me, "web", "serve"], port=p.web,
                ready=lambda pid: web_answers(settings.bind_host, p.web),
                description=f"web panel on http://{settings.bind_host}:{p.web}/ (gunicorn, gevent)",
                nice=SCREENS_NICE),
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


def web_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """``GET /healthz`` answers 200: a gunicorn worker has booted and reaches the database.

    An open port is not enough: gunicorn's master binds before its workers import the app, and a
    worker that cannot boot makes the master exit (supervisord then restarts it), closing the port.
    """
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


# --- supervisord ------------------------------------------------------------------------------
def supervisor_dir(settings: Settings) -> Path:
    return settings.run_dir / "supervisor"


def _socket_path(settings: Settings) -> Path:
    path = supervisor_dir(settings) / "supervisord.sock"
    if len(str(path)) < 100:        # AF_UNIX paths are limited to 108 bytes
        return path
    digest = hashlib.sha256(str(settings.run_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"hotline-supervisor-{digest}.sock"


def config_text(settings: Settings) -> str:
    """supervisord.conf for this run folder: every Python service, none started by itself."""
    folder = supervisor_dir(settings)
    lines = [
        "; generated by `hotline up` (ops/services.py); rewritten at every start of supervisord",
        "[unix_http_server]", f"file={_socket_path(settings)}", "chmod=0700", "",
        "[supervisord]", f"logfile={settings.log_dir / 'supervisord.log'}", "logfile_maxbytes=5MB",
        "logfile_backups=2", f"pidfile={folder / 'supervisord.pid'}", f"directory={_project_dir()}",
        "nodaemon=false", "silent=true", "minfds=4096",
        "umask=027", "",   # logs hold citizens' (masked) numbers and call facts: 0640, never world-readable
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{_socket_path(settings)}", "",
    ]
    for svc in python_services(settings):
        lines += [
            f"[program:{svc.name}]", f"command={' '.join(_quote(a) for a in _niced(svc))}",
            f"directory={_project_dir()}", "autostart=false", "autorestart=true",
            f"startsecs={STARTSECS}", f"startretries={START_RETRIES}", f"stopwaitsecs={STOP_WAIT}",
            "stopsignal=TERM", "stopasgroup=true", "killasgroup=true", "redirect_stderr=true",
            f"stdout_logfile={settings.log_dir / (svc.name + '.log')}", "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=3", "",
        ]
    lines += [   # kills a FastAGI server that hangs (supervisord restarts only one that exits): ops/agi_watchdog.py
        "[program:agiwatch]", f"command={_quote(sys.executable)} -m ops.agi_watchdog",
        f"directory={_project_dir()}", "autostart=true", "autorestart=true", "stopsignal=TERM",
        "redirect_stderr=true", f"stdout_logfile={settings.log_dir / 'agiwatch.log'}",
        "stdout_logfile_maxbytes=5MB", "stdout_logfile_backups=2", "",
    ]
    return "\n".join(lines)


def _niced(svc: Service) -> list[str]:
    """The service's command, under nice(1) when it yields to the call path (nice execs: same pid)."""
    nice = shutil.which("nice")
    return [nice, "-n", str(svc.nice), *svc.argv] if svc.nice and nice else svc.argv


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(c.isspace() for c in arg) else arg


def _project_dir() -> Path:
    from hotline.config import PROJECT_DIR

    return PROJECT_DIR


def _rpc(settings: Settings):
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{_socket_path(settings)}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def supervisor_running(settings: Settings) -> bool:
    if not _socket_path(settings).exists():
        return False
    try:
        return _rpc(settings).supervisor.getState()["statename"] == RUNNING
    except (OSError, xmlrpc.client.Error):
        return False


def ensure_supervisor(settings: Settings, timeout: float = 10.0):
    """supervisord for this run folder, started (with these settings as its environment) if it is not."""
    if supervisor_running(settings):
        return _rpc(settings)
    settings.ensure_dirs()
    folder = supervisor_dir(settings)
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    conf = folder / "supervisord.conf"
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(config_text(settings))
    conf.chmod(0o600)
    _socket_path(settings).unlink(missing_ok=True)   # left by a supervisord that was killed
    log = settings.log_dir / "supervisord.out"
    with open(log, "ab") as out:
        done = subprocess.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)],
                              stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                              env=_child_env(settings), cwd=_project_dir(), timeout=timeout)
    if done.returncode != 0:
        raise HotlineError(f"supervisord did not start (code {done.returncode}):\n{_tail(log)}", f"read {log}")
    deadline = time.monotonic() + timeout
    while not supervisor_running(settings):
        if time.monotonic() > deadline:
            raise HotlineError(f"supervisord did not answer within {timeout:.0f}s:\n{_tail(log)}",
                               f"read {settings.log_dir / 'supervisord.log'}")
        time.sleep(0.05)
    return _rpc(settings)


def shutdown_supervisor(settings: Settings, timeout: float = 30.0) -> bool:
    """Stop supervisord (it stops what still runs first); False when it was not running."""
    if not supervisor_running(settings):
        return False
    pid_file = supervisor_dir(settings) / "supervisord.pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        pid = None
    try:
        _rpc(settings).supervisor.shutdown()
    except (OSError, xmlrpc.client.Error):
        pass
    deadline = time.monotonic() + timeout
    while pid is not None and _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


def process_info(settings: Settings, name: str) -> dict | None:
    """supervisord's view of one service (state name, pid, uptime), None when supervisord is not running."""
    if not supervisor_running(settings):
        return None
    try:
        return _rpc(settings).supervisor.getProcessInfo(name)
    except xmlrpc.client.Fault:
        return None


def pid_of(settings: Settings, name: str) -> int | None:
    info = process_info(settings, name)
    if info is None or info["statename"] != RUNNING or not info["pid"]:
        return None
    return int(info["pid"])


def start(settings: Settings, service: Service, timeout: float = 20.0) -> tuple[int, bool]:
    """Start ``service`` unless it runs; returns (pid, started_now)."""
    if (pid := pid_of(settings, service.name)) is not None:
        return pid, False
    rpc = ensure_supervisor(settings)
    if service.port is not None:
        assert_free(settings.bind_host, service.port, service.description or service.name)
    log_path = settings.log_dir / f"{service.name}.log"
    try:
        rpc.supervisor.startProcess(service.name, False)
    except xmlrpc.client.Fault as e:
        if "ALREADY_STARTED" not in e.faultString:
            raise HotlineError(f"supervisord could not start {service.name}: {e.faultString}",
                               f"read {log_path}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = rpc.supervisor.getProcessInfo(service.name)
        if info["statename"] in ("EXITED", "FATAL", "BACKOFF"):
            stop(settings, service.name)
            raise HotlineError(f"{service.name} exited at start ({info['spawnerr'] or info['description']}):\n"
                               f"{_tail(log_path)}", f"read {log_path}")
        if info["statename"] == RUNNING and _is_ready(settings, service, info["pid"]):
            return info["pid"], True
        time.sleep(0.1)
    stop(settings, service.name)
    raise HotlineError(f"{service.name} did not become ready within {timeout:.0f}s:\n{_tail(log_path)}",
                       f"read {log_path}")


def stop(settings: Settings, name: str, timeout: float = 10.0) -> bool:
    """Stop one service (supervisord will not restart it); False when it was not running."""
    info = process_info(settings, name)
    if info is None or info["statename"] in ("STOPPED", "EXITED", "FATAL", "UNKNOWN"):
        return False
    try:
        _rpc(settings).supervisor.stopProcess(name, True)
    except xmlrpc.client.Fault as e:
        if "NOT_RUNNING" not in e.faultString:
            raise
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


def _sip_guard_ready(settings: Settings) -> bool:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    return bool(redis_client(settings).exists(Keys(settings.redis_prefix).sip_guard_heartbeat))


def _worker_ready(settings: Settings, pid: int) -> bool:
    from ops.scheduler import worker_registered

    return worker_registered(settings, pid)


def _cron_ready(settings: Settings, pid: int) -> bool:
    from ops.scheduler import cron_alive

    return cron_alive(settings, pid)


def _child_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
