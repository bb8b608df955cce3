"""The web panel as `hotline web serve` runs it: gunicorn (gthread) in a child process, on a free port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hotline.logs import open_log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_panel(run_dir: Path, database_url: str, log_path: Path, redis_prefix: str,
                   extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yields the base URL once /healthz answers; the access log goes to ``log_path`` (as web.log)."""
    port = free_port()
    env = {**os.environ, "HOTLINE_RUN_DIR": str(run_dir), "DATABASE_URL": database_url,
           "HOTLINE_REDIS_PREFIX": redis_prefix, **(extra_env or {})}
    with open_log(log_path) as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "8",
                                 "--graceful-timeout", "3", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                                 "web:create_app()"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=Path(__file__).resolve().parents[2])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"the panel did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
