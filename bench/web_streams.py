#!/usr/bin/env python3
"""Web tier benchmark: N open live streams (wallboards and agent panels) on the real gunicorn + gevent.

    .venv/bin/python bench/web_streams.py [--wallboards 200] [--agents 100] [--publishes 40] [--interval 0.5]

It prepares a throw-away installation (SQLite in a temp run folder, migrated and
seeded, its own Redis key prefix), starts the real web process (`hotline web
serve`: gunicorn, gevent workers) and logs in as the supervisor and the four
demo agents. Then it opens ``--wallboards`` SSE streams on
/supervisor/wallboard/stream and ``--agents`` on /agent/state/stream (spread
over the four agent logins), exactly as the pages do, from one asyncio client
process. It then plays the AMI listener: ``--publishes`` times, every
``--interval`` seconds, it writes a marker time into what the snapshots show
(the listener status's ``since``, each agent's ``since``) and publishes on the
live channel. Lag = the moment a stream delivers a snapshot carrying the marker
minus the marker time (so it counts Redis, the hub's fan-out, the snapshot build,
gunicorn and the client's own parsing on the same 2 cores). It reports streams
opened and failed, lag p50/p99/max over every (stream, publish) pair, publishes
a stream missed, the web processes' RSS and CPU, and the Redis subscriptions on
the live channel (one per worker process is the design). Talks only to loopback
and stops by itself; exit code 1 when a stream failed or p99 > 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENTS = ("1001", "1002", "1003", "1004")


def prepare(run_dir: Path, workers: int) -> tuple[dict[str, str], dict[str, str]]:
    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import session_factory_for, session_scope

    env = {**os.environ, "HOTLINE_RUN_DIR": str(run_dir), "HOTLINE_PORT_OFFSET": os.environ.get(
        "HOTLINE_BENCH_PORT_OFFSET", "3800"), "HOTLINE_REDIS_PREFIX": f"hlbench-web-{secrets.token_hex(3)}:",
        "DATABASE_URL": f"sqlite:///{run_dir / 'bench.db'}"}
    upgrade(env["DATABASE_URL"])
    with session_scope(session_factory_for(env["DATABASE_URL"])) as session:
        seed(session)
        passwords = seed_users(session)
    return env, passwords


def login(base: str, username: str, password: str) -> str:
    """A real login through the form; returns the Cookie header value."""
    import requests

    s = requests.Session()
    page = s.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code, r.text[:300])
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (FileNotFoundError, IndexError, ValueError):
                pass
    return out


class Stream:
    """One open SSE stream, read as a browser's EventSource would."""

    def __init__(self, kind: str, path: str, cookie: str, marker):
        self.kind, self.path, self.cookie, self.marker = kind, path, cookie, marker
        self.lags: dict[float, float] = {}      # marker → lag seconds
        self.opened = False
        self.error = ""

    async def run(self, host: str, port: int, stop: asyncio.Event) -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 20)
        except (OSError, asyncio.TimeoutError) as e:
            self.error = f"connect: {e}"
            return
        writer.write((f"GET {self.path} HTTP/1.0\r\nHost: {host}\r\nCookie: {self.cookie}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        try:
            status = await asyncio.wait_for(reader.readline(), 30)
            if b" 200 " not in status:
                self.error = status.decode(errors="replace").strip()
                return
            while (await reader.readline()).strip():
                pass
            self.opened = True
            event, reading = "", asyncio.ensure_future(reader.readline())
            stopping = asyncio.ensure_future(stop.wait())
            while True:
                done, _ = await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    reading.cancel()
                    return
                line = reading.result()
                if not line:
                    self.error = "closed by the server"
                    return
                text = line.decode(errors="replace").rstrip("\n")
                if text.startswith("event: "):
                    event = text[7:]
                elif text.startswith("data: ") and event in ("snapshot", "state"):
                    seen = self.marker(json.loads(text[6:]))
                    if seen and seen not in self.lags:
                        self.lags[seen] = time.time() - seen
                reading = asyncio.ensure_future(reader.readline())
        except (OSError, asyncio.TimeoutError) as e:
            self.error = str(e) or e.__class__.__name__
        finally:
            writer.close()


async def main_async(args, base_host: str, port: int, cookies: dict[str, str], settings) -> dict:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    keys, r = Keys(settings.redis_prefix), redis_client(settings, check=True)
    markers: list[float] = []
    streams = [Stream("wallboard", "/supervisor/wallboard/stream", cookies["supervisor"],
                      lambda d: float(d["listener"]["since"] or 0)) for _ in range(args.wallboards)]
    streams += [Stream("agent", "/agent/state/stream", cookies[f"agent{AGENTS[i % 4]}"],
                       lambda d: float(d["since"] or 0)) for i in range(args.agents)]
    stop = asyncio.Event()
    opened_at = time.monotonic()
    tasks = [asyncio.ensure_future(s.run(base_host, port, stop)) for s in streams]
    while time.monotonic() - opened_at < 60 and sum(s.opened or bool(s.error) for s in streams) < len(streams):
        await asyncio.sleep(0.2)
    open_seconds = time.monotonic() - opened_at
    await asyncio.sleep(1.0)   # let every first snapshot arrive
    subscriptions = r.pubsub_numsub(keys.live_channel)[0][1]
    for _ in range(args.publishes):
        t = round(time.time(), 6)
        markers.append(t)
        pipe = r.pipeline(transaction=True)
        pipe.hset(keys.listener_status, mapping={"since": t, "connected": 1})
        for n in AGENTS:
            pipe.hset(keys.agent(n), mapping={"number": n, "state": "idle", "since": t})
        pipe.publish(keys.live_channel, json.dumps({"t": t, "agents": list(AGENTS), "queues": [], "full": False}))
        pipe.execute()
        await asyncio.sleep(args.interval)
    await asyncio.sleep(2.0)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    lags = sorted(lag for s in streams for m, lag in s.lags.items() if m in markers)
    expected = sum(1 for s in streams if s.opened) * len(markers)
    stale = list(r.scan_iter(f"{keys.prefix}*"))
    if stale:
        r.delete(*stale)
    return {
        "streams": len(streams), "opened": sum(s.opened for s in streams),
        "failed": [s.error for s in streams if s.error and not s.opened][:5],
        "broken_after_open": sum(1 for s in streams if s.opened and s.error),
        "open_seconds": open_seconds, "subscriptions": subscriptions, "publishes": len(markers),
        "deliveries": len(lags), "expected": expected,
        "lag_p50_ms": statistics.median(lags) * 1000 if lags else None,
        "lag_p99_ms": lags[max(0, int(len(lags) * 0.99) - 1)] * 1000 if lags else None,
        "lag_max_ms": lags[-1] * 1000 if lags else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallboards", type=int, default=200)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--publishes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between publishes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    from hotline.config import Settings

    with tempfile.TemporaryDirectory(prefix="hotline-bench-web-") as tmp:
        env, passwords = prepare(Path(tmp), args.workers)
        settings = Settings.from_env(env)
        port = settings.ports.web
        log = open(Path(tmp) / "web.log", "wb")
        server = subprocess.Popen([sys.executable, "-m", "ops.cli", "web", "serve", "--workers", str(args.workers)],
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"the web process did not start:\n{(Path(tmp) / 'web.log').read_text()}")
                    time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            cookies = {"supervisor": login(base, "supervisor", passwords["supervisor"])}
            for n in AGENTS:
                cookies[f"agent{n}"] = login(base, f"agent{n}", passwords[f"agent{n}"])
            pids = [server.pid, *children(server.pid)]
            rss_before = {p: rss_kib(p) for p in pids}
            cpu_before = {p: cpu_seconds(p) for p in pids}
            started = time.monotonic()
            result = asyncio.run(main_async(args, "127.0.0.1", port, cookies, settings))
            wall = time.monotonic() - started
            result["rss_mib"] = {("master" if p == server.pid else f"worker {p}"): round(rss_kib(p) / 1024, 1)
                                 for p in pids}
            result["rss_idle_mib"] = {("master" if p == server.pid else f"worker {p}"): round(v / 1024, 1)
                                      for p, v in rss_before.items()}
            result["web_cpu_percent_of_one_core"] = round(
                100 * sum(cpu_seconds(p) - cpu_before[p] for p in pids) / wall, 1)
            result["client_max_rss_mib"] = round(
                __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024, 1)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    print(json.dumps(result, indent=2))
    ok = not result["failed"] and result["opened"] == result["streams"] and \
        result["lag_p99_ms"] is not None and result["lag_p99_ms"] <= 1000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
