"""A Redis server of the test's own (never the machine's shared one), to stop and restart at will.

Started without persistence (``--save "" --appendonly no``): a restart loses every
key, as a Redis restarted at night without persistence does.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import redis

from tests.support.waiting import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = Path(folder), port or free_port()
        self.proc: subprocess.Popen | None = None
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: apt-get install -y redis-server (setup.sh does it)"
        log = open(self.folder / "redis.log", "ab")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        wait_for(self._answers, 10, f"the test's own Redis on port {self.port} answering")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()            # as a crash or a power cut: nothing saved, clients cut
            self.proc.wait(10)
        self.proc = None
        wait_for(lambda: not self._answers(), 5, f"the test's own Redis on port {self.port} gone")

    def restart(self) -> None:
        self.stop()
        self.start()
