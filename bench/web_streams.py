#!/usr/bin/env python3
"""Web tier benchmark: N open live streams (wallboards and agent panels) on the real gunicorn + gevent.

    .venv/bin/python bench/web_streams.py [--wallboards 200] [--agents 100] [--publishes 40] [--interval 0.5]
        [--waiting 200 --busy-agents 100] [--tree OTHER_CHECKOUT --rounds 2]

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

``--waiting`` and ``--busy-agents`` give the snapshots a peak's size: that many
callers waiting in queue 12345 and agents on a call, written as the AMI
listener writes them (queue_logic.live_state's shapes), so every wallboard
frame carries what a wallboard carries at 300 calls at once (about 100 KB).
``--tree`` (repeatable) serves the web process from another checkout of the
project (a git worktree of an older commit, say), and ``--rounds`` runs every
tree that many times, taking turns, so two versions are compared side by side
on the same machine in one run.
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


SINCE = re.compile(r'"since":([0-9.]+)')


def first_since(text: str, path: tuple[str, ...]) -> float:
    """The marker: the first ``"since"`` of a snapshot (the listener's on a wallboard, the agent's own on a panel).

    Read with a regex near the frame's start, as parsing a peak's 100 KB wallboard frame 300 times per
    publish would make this one client process the bottleneck; the full parse is the fallback."""
    found = SINCE.search(text, 0, 400)
    if found:
        return float(found.group(1))
    data = json.loads(text)
    for key in path:
        data = data[key]
    return float(data or 0)


class Stream:
    """One open SSE stream, read as a browser's EventSource would."""

    def __init__(self, kind: str, path: str, cookie: str, marker):
        self.kind, self.path, self.cookie, self.marker = kind, path, cookie, marker
        self.lags: dict[float, float] = {}      # marker → lag seconds
        self.opened = False
        self.error = ""
        self.frame_bytes = 0                    # the largest data line read

    async def run(self, host: str, port: int, stop: asyncio.Event) -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=1 << 22), 20)  # 100 KB lines
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
                    self.frame_bytes = max(self.frame_bytes, len(line))
                    seen = self.marker(text[6:])
                    if seen and seen not in self.lags:
                        self.lags[seen] = time.time() - seen
                reading = asyncio.ensure_future(reader.readline())
        except (OSError, ValueError, asyncio.TimeoutError) as e:   # ValueError: a line over the reader's limit
            self.error = str(e) or e.__class__.__name__
        finally:
            writer.close()


def fill_peak(r, keys, waiting: int, busy: int) -> None:
    """``waiting`` callers in queue 12345 and ``busy`` talking agents, in the AMI listener's shapes."""
    from dataclasses import asdict

    from queue_logic.live_state import agent_fields
    from queue_logic.model import Agent, AgentCall, Caller, Membership

    now = time.time()
    pipe = r.pipeline(transaction=False)
    pipe.sadd(keys.queues, "12345")
    pipe.hset(keys.queue("12345"), mapping={"service_level": 15, "members": ",".join(
        [f"PJSIP/load{9001 + i}" for i in range(busy)])})
    for i in range(waiting):
        uid = f"{int(now) - i}.{i}"
        caller = Caller(uniqueid=uid, queue="12345", channel=f"PJSIP/load-trunk-{i:08x}",
                        caller=f"139{i:08d}", joined_at=now - 3 * i, position=i + 1, line="12315",
                        line_name="市场监管投诉举报")
        pipe.hset(keys.queue_callers("12345"), uid, json.dumps(asdict(caller), ensure_ascii=False))
    for i in range(busy):
        number = str(9001 + i)
        agent = Agent(number=number, name=f"负载坐席{number}", interface=f"PJSIP/load{number}",
                      memberships={"12345": Membership(queue="12345", in_call=True)}, phase="talking",
                      call=AgentCall(uniqueid=f"{int(now)}.{1000 + i}", queue="12345", caller=f"138{i:08d}",
                                     line="12345", line_name="市民服务热线",
                                     channel=f"PJSIP/load{number}-{i:08x}", started_at=now - i),
                      state="talking", since=now - i)
        pipe.sadd(keys.agents, number)
        pipe.hset(keys.agent(number), mapping=agent_fields(agent))
    pipe.execute()


async def main_async(args, base_host: str, port: int, cookies: dict[str, str], settings) -> dict:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    keys, r = Keys(settings.redis_prefix), redis_client(settings, check=True)
    fill_peak(r, keys, args.waiting, args.busy_agents)
    markers: list[float] = []
    streams = [Stream("wallboard", "/supervisor/wallboard/stream", cookies["supervisor"],
                      lambda text: first_since(text, ("listener", "since"))) for _ in range(args.wallboards)]
    streams += [Stream("agent", "/agent/state/stream", cookies[f"agent{AGENTS[i % 4]}"],
                       lambda text: first_since(text, ("since",))) for i in range(args.agents)]
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
        "wallboard_frame_kib": round(max((s.frame_bytes for s in streams if s.kind == "wallboard"), default=0)
                                     / 1024, 1),
    }


def run_once(args, tree: Path) -> dict:
    """One throw-away installation, its web process served from ``tree``, and the streams."""
    from hotline.config import Settings

    with tempfile.TemporaryDirectory(prefix="hotline-bench-web-") as tmp:
        env, passwords = prepare(Path(tmp), args.workers)
        settings = Settings.from_env(env)
        port = settings.ports.web
        log = open(Path(tmp) / "web.log", "wb")
        # python -m puts the working folder first on sys.path: the web process runs ``tree``'s code
        server = subprocess.Popen([sys.executable, "-m", "ops.cli", "web", "serve", "--workers", str(args.workers)],
                                  env=env, cwd=tree, stdout=log, stderr=subprocess.STDOUT)
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
            result = {"tree": str(tree), **asyncio.run(main_async(args, "127.0.0.1", port, cookies, settings))}
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
            if args.log:
                args.log.write_bytes((Path(tmp) / "web.log").read_bytes())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallboards", type=int, default=200)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--publishes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between publishes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--waiting", type=int, default=0, help="callers waiting in queue 12345 (a peak's snapshot)")
    parser.add_argument("--busy-agents", type=int, default=0, help="agents on a call (a peak's snapshot)")
    parser.add_argument("--tree", type=Path, action="append",
                        help="serve the web process from this checkout (repeatable; default: this one)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of every tree, taking turns")
    parser.add_argument("--log", type=Path, help="keep the (last) web process's log here")
    args = parser.parse_args()

    trees = [t.resolve() for t in args.tree] if args.tree else [ROOT]
    results = [run_once(args, tree) for _ in range(args.rounds) for tree in trees]
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False))
    ok = all(not r["failed"] and r["opened"] == r["streams"] and r["lag_p99_ms"] is not None
             and r["lag_p99_ms"] <= 1000 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
