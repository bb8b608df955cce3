"""Screens (大屏/坐席页面) for a load run: HTTP clients reading the SSE streams as the pages do.

Wallboards read ``/supervisor/wallboard/stream``; an agent workspace reads ``/agent/state/stream`` (its
state panel's one stream; the workspace page polls nothing). All clients are coroutines of one asyncio
loop in one thread, as a browser holds many connections cheaply: the load generator shares the cores
with the system it measures, and 300 blocking threads would take their share. A stream that is refused,
closed, or sends nothing for ``LATE`` + 1 s counts as failed and is opened again ``RETRY`` s later, as the
page's EventSource does (the server's ``retry: 2000``); the time a screen spends without a stream is
summed. Every stream stops at the run's end. Stream lag: a probe thread
publishes on the live channel (what the AMI listener does after a write) every PROBE_EVERY seconds; a
client's lag is the time from a probe to the next snapshot it reads (at most LATE).
"""
from __future__ import annotations

import asyncio
import http.client
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

PROBE_EVERY = 2.0
LATE = 5.0          # a probe not followed by a snapshot within this long: lag counted as LATE
RETRY = 2.0         # EventSource's reconnection delay (web/streams.py sends "retry: 2000")


@dataclass
class ScreenStats:
    screens: int = 0
    seconds: float = 0.0
    opened: int = 0              # streams opened, the reopened ones included
    failed: int = 0              # refused, closed by the server, or silent for LATE + 1 s
    down_s: float = 0.0          # summed over the screens: the time without an open stream
    errors: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.failed += 1
            if len(self.errors) < 20:
                self.errors.append(text)

    def down(self, seconds: float) -> None:
        with self.lock:
            self.down_s += seconds

    @property
    def down_share(self) -> float | None:
        """The share of the screens' time spent without a stream (0.0: every screen always had one)."""
        return round(self.down_s / (self.screens * self.seconds), 4) if self.screens and self.seconds else None


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


async def _read(host, port, path, cookie, until, stats: ScreenStats, probes: Probes,
                opened: list[float]) -> str | None:
    """One connection: None when it lasted to ``until``, else what went wrong. ``opened``: when it opened."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 22), LATE + 1)
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())   # 1.0: no chunked framing around the events
        status = await asyncio.wait_for(reader.readline(), LATE + 1)
        if b" 200 " not in status:
            return f"{path}: {status.decode(errors='replace').strip() or 'no answer'}"
        while (await asyncio.wait_for(reader.readline(), LATE + 1)).strip():
            pass                                        # the response headers
        seen = time.monotonic()
        opened.append(seen)
        with stats.lock:
            stats.opened += 1
        while time.monotonic() < until:
            line = await asyncio.wait_for(reader.readline(), LATE + 1)
            if not line:
                return f"{path}: stream closed by the server"
            if line.startswith(b"event:"):
                now = time.monotonic()
                lags = [now - t for t in probes.pending_since(seen)]
                seen = now
                with stats.lock:
                    stats.lags.extend(min(lag, LATE) for lag in lags)
        return None
    except asyncio.TimeoutError:
        return f"{path}: nothing for {LATE + 1:.0f} s"
    except (OSError, ValueError) as exc:               # ValueError: a line longer than the reader's limit
        return f"{path}: {type(exc).__name__}: {exc}"
    finally:
        if writer is not None:
            writer.close()


async def _screen(host, port, path, cookie, until, stats: ScreenStats, probes: Probes) -> None:
    """One page's stream for the whole run, reopened RETRY s after each failure."""
    down_since = time.monotonic()
    while time.monotonic() < until:
        opened: list[float] = []
        problem = await _read(host, port, path, cookie, until, stats, probes, opened)
        if opened:
            stats.down(opened[0] - down_since)
        if problem is None:
            return
        stats.error(problem)
        if opened:
            down_since = time.monotonic()
        await asyncio.sleep(max(0.0, min(RETRY, until - time.monotonic())))
    stats.down(max(0.0, until - down_since))


def _run_streams(host, port, clients: list[tuple[str, str]], until, stats: ScreenStats, probes: Probes) -> None:
    async def all_streams():
        await asyncio.gather(*(_screen(host, port, path, cookie, until, stats, probes) for path, cookie in clients))
    asyncio.run(all_streams())


def open_screens(base_url: str, wallboards: int, agents: int, cookies: dict[str, str], seconds: float,
                 redis_client, channel: str) -> tuple[ScreenStats, list[threading.Thread]]:
    """Start the clients (two daemon threads, both ending within ``seconds`` + LATE + 1)."""
    url = urllib.parse.urlsplit(base_url)
    host, port = url.hostname, url.port or 80
    until = time.monotonic() + seconds
    stats, probes = ScreenStats(screens=wallboards + agents, seconds=seconds), Probes(redis_client, channel)
    clients = ([("/supervisor/wallboard/stream", cookies["supervisor"])] * wallboards
               + [("/agent/state/stream", cookies["agent"])] * agents)
    threads = [threading.Thread(target=probes.run, args=(until,), daemon=True, name="load-probes"),
               threading.Thread(target=_run_streams, args=(host, port, clients, until, stats, probes), daemon=True,
                                name="load-screens")]
    for t in threads:
        t.start()
    return stats, threads
