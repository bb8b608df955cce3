"""Screens (大屏/坐席页面) for a load run: HTTP clients reading the SSE streams as the pages do.

Wallboards read ``/supervisor/wallboard/stream``; agent workspaces read ``/agent/state/stream``
and poll ``/agent/current-call.json`` every 3 s (workspace.html). Every client is a thread with
a socket timeout that stops by itself at the run's end. Stream lag: a probe thread publishes on
the live channel (what the AMI listener does after a write) every PROBE_EVERY seconds; a
client's lag is the time from a probe to the next snapshot it reads (at most one refresh
later, else it counts as late).
"""
from __future__ import annotations

import http.client
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

PROBE_EVERY = 2.0
POLL_EVERY = 3.0
LATE = 5.0          # a probe not followed by a snapshot within this long: lag counted as LATE


@dataclass
class ScreenStats:
    opened: int = 0
    failed: int = 0              # could not open (status, refused, timeout)
    errors: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    polls: int = 0
    polls_failed: int = 0
    poll_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.failed += 1
            if len(self.errors) < 20:
                self.errors.append(text)


def login(host: str, port: int, username: str, password: str, timeout: float = 10.0) -> str:
    """The session cookie of a form login (GET /login for the CSRF token, then POST)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        body = page.read().decode(errors="replace")
        cookie = (page.getheader("Set-Cookie") or "").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', body)
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token.group(1) if token else ""})
        conn.request("POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                            "Cookie": cookie})
        answer = conn.getresponse()
        answer.read()
        if answer.status not in (302, 303):
            raise RuntimeError(f"login as {username} answered {answer.status}")
        return (answer.getheader("Set-Cookie") or cookie).split(";")[0]
    finally:
        conn.close()


class Probes:
    """Publishes on the live channel and remembers when (monotonic)."""

    def __init__(self, redis_client, channel: str):
        self.redis, self.channel, self.times = redis_client, channel, []
        self.lock = threading.Lock()

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            with self.lock:
                self.times.append(time.monotonic())
            self.redis.publish(self.channel, '{"load_probe": true}')
            time.sleep(PROBE_EVERY)

    def pending_since(self, after: float) -> list[float]:
        with self.lock:
            return [t for t in self.times if t > after]


def _stream(host, port, path, cookie, until, stats: ScreenStats, probes: Probes) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=LATE + 1)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/event-stream"})
        response = conn.getresponse()
        if response.status != 200:
            stats.error(f"{path}: HTTP {response.status}")
            return
        with stats.lock:
            stats.opened += 1
        seen = time.monotonic()
        while time.monotonic() < until:
            line = response.fp.readline()
            if not line:
                stats.error(f"{path}: stream closed by the server")
                return
            if line.startswith(b"event:"):
                now = time.monotonic()
                lags = [now - t for t in probes.pending_since(seen)]
                seen = now
                with stats.lock:
                    stats.lags.extend(min(lag, LATE) for lag in lags)
    except (OSError, http.client.HTTPException) as exc:
        stats.error(f"{path}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()


def _poll(host, port, cookie, until, stats: ScreenStats) -> None:
    while time.monotonic() < until:
        conn = http.client.HTTPConnection(host, port, timeout=5)
        why = ""
        try:
            conn.request("GET", "/agent/current-call.json", headers={"Cookie": cookie, "Accept": "application/json"})
            status = conn.getresponse().status
            why = "" if status == 200 else f"HTTP {status}"
        except (OSError, http.client.HTTPException) as exc:
            why = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        with stats.lock:
            stats.polls += 1
            if why:
                stats.polls_failed += 1
                if len(stats.poll_errors) < 5:
                    stats.poll_errors.append(why)
        time.sleep(POLL_EVERY)


def open_screens(base_url: str, wallboards: int, agents: int, cookies: dict[str, str], seconds: float,
                 redis_client, channel: str) -> tuple[ScreenStats, list[threading.Thread]]:
    """Start the clients (daemon threads, all ending within ``seconds`` + a socket timeout)."""
    url = urllib.parse.urlsplit(base_url)
    host, port = url.hostname, url.port or 80
    until = time.monotonic() + seconds
    stats, probes = ScreenStats(), Probes(redis_client, channel)
    threads = [threading.Thread(target=probes.run, args=(until,), daemon=True)]
    for i in range(wallboards):
        threads.append(threading.Thread(target=_stream, daemon=True, args=(
            host, port, "/supervisor/wallboard/stream", cookies["supervisor"], until, stats, probes)))
    for i in range(agents):
        threads.append(threading.Thread(target=_stream, daemon=True, args=(
            host, port, "/agent/state/stream", cookies["agent"], until, stats, probes)))
        threads.append(threading.Thread(target=_poll, daemon=True, args=(host, port, cookies["agent"], until, stats)))
    for t in threads:
        t.start()
    return stats, threads
