"""AMI listener benchmark: a recorded AMI event stream replayed into the real listener.

A fake Asterisk (this script) speaks AMI on a loopback port: banner, Login,
FullyBooted, QueueStatus, Ping. The real listener (`hotline ami listen`, its own
process) connects to it; the real web panel (`hotline web serve`, gunicorn)
serves the wallboard stream, which this script reads as a supervisor would.

1. Throughput: the recording (bench/ami_events.txt: real calls, answered and
   abandoned, pauses, a logout/login) repeated with fresh uniqueids, sent as
   fast as the socket takes it; the clock stops when Redis shows the last event.
2. Lag to the wallboard: while events flow at a steady rate, a marker event
   (a pause with a numbered reason) every 100 ms; lag = the time the wallboard's
   SSE stream shows the marker − the time it was written to the socket.

    .venv/bin/python bench/ami_replay.py --events 200000 --rates 1000,5000,20000
"""
from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(PROJECT))

from hotline.config import Settings  # noqa: E402
from hotline.keys import Keys  # noqa: E402
from hotline.redis_conn import redis_client  # noqa: E402

MARKER = "PJSIP/bench-marker"
# events the live model acts on (the rest of a real stream — Newexten, VarSet, RTCP... — is read and skipped)
STATE_EVENTS = {"Newchannel", "Hangup", "QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "AgentCalled",
                "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "AgentDump", "QueueMemberAdded",
                "QueueMemberStatus", "QueueMemberPause", "QueueMemberRemoved"}
UID_KEYS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")


# --- the stream ---------------------------------------------------------------------------
def load_recording(path: Path) -> list[list[tuple[str, str]]]:
    events = []
    for block in path.read_bytes().decode("utf-8").split("\r\n\r\n"):   # not read_text: keep the \r\n
        fields = [tuple(line.split(": ", 1)) for line in block.split("\r\n") if ": " in line]
        if fields and fields[0][0] == "Event" and fields[0][1] not in ("FullyBooted", "Shutdown"):
            events.append(fields)
    if not events:
        raise SystemExit(f"no AMI events in {path}")
    return events


def render(fields) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode()


def repeated(recording, count: int) -> list[bytes]:
    """``count`` events: the recording again and again, each round with its own uniqueids."""
    out, rnd = [], 0
    while len(out) < count:
        rnd += 1
        for fields in recording:
            out.append(render([(k, f"r{rnd}-{v}" if k in UID_KEYS else v) for k, v in fields]))
            if len(out) == count:
                break
    return out


def marker(reason: str) -> bytes:
    return render([("Event", "QueueMemberPause"), ("Queue", "12345"), ("MemberName", "bench marker"),
                   ("Interface", MARKER), ("StateInterface", MARKER), ("Membership", "dynamic"), ("Penalty", "0"),
                   ("Paused", "1"), ("PausedReason", reason), ("Status", "1"), ("InCall", "0"),
                   ("Timestamp", f"{time.time():.6f}")])


# --- the fake Asterisk -------------------------------------------------------------------------
class FakeAsterisk:
    def __init__(self):
        self.writer: asyncio.StreamWriter | None = None
        self.resynced = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        while True:
            try:
                block = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            action = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
            writer.write(self._answer(action))

    def _answer(self, action: dict) -> bytes:
        aid, name = action.get("ActionID", ""), action.get("Action", "").lower()
        ok = f"Response: Success\r\nActionID: {aid}\r\n"
        if name == "login":
            return (ok + "Message: Authentication accepted\r\n\r\n"
                    "Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n").encode()
        if name == "queuestatus":
            items = [[("Event", "QueueParams"), ("Queue", q), ("Strategy", "rrmemory"), ("ServiceLevel", "15")]
                     for q in ("12345", "english", "overflow")]
            items += [[("Event", "QueueMember"), ("Queue", q), ("Name", n), ("Location", f"PJSIP/agent{n}"),
                       ("StateInterface", f"PJSIP/agent{n}"), ("Paused", "0"), ("PausedReason", ""),
                       ("Status", "1"), ("InCall", "0"), ("Penalty", "0"), ("LastCall", "0"), ("LastPause", "0")]
                      for n, q in (("1001", "12345"), ("1002", "12345"), ("1003", "english"), ("1004", "english"))]
            body = b"".join(render(item + [("ActionID", aid)]) for item in items)
            self.loop.call_later(0.3, self.resynced.set)
            return ((ok + "EventList: start\r\nMessage: Queue status will follow\r\n\r\n").encode() + body +
                    f"Event: QueueStatusComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n"
                    f"ListItems: {len(items)}\r\n\r\n".encode())
        if name == "ping":
            return (ok + f"Ping: Pong\r\nTimestamp: {time.time():.6f}\r\n\r\n").encode()
        return (ok + "Message: ok\r\n\r\n").encode()

    def send(self, chunks: list[bytes], *, rate: float | None = None, on_sent=None) -> float:
        """Write ``chunks`` (flat out, or ``rate`` events/s); returns the time the first byte went."""
        started = []

        async def go():
            started.append(time.time())
            per_tick = max(1, int((rate or 0) / 100))
            t0 = time.monotonic()
            for i in range(0, len(chunks), 500 if rate is None else per_tick):
                part = chunks[i:i + (500 if rate is None else per_tick)]
                self.writer.write(b"".join(part))
                if on_sent:
                    on_sent(i, len(part))
                await self.writer.drain()
                if rate:
                    target = t0 + (i + len(part)) / rate
                    await asyncio.sleep(max(0.0, target - time.monotonic()))

        asyncio.run_coroutine_threadsafe(go(), self.loop).result()   # raises what went wrong
        return started[0]


# --- the supervisor's browser, as far as the stream goes -------------------------------------------
class WallboardReader(threading.Thread):
    """Logs in as the supervisor and records when each marker reason first shows on the stream."""

    def __init__(self, base: str, password: str):
        super().__init__(daemon=True)
        self.base, self.password = base, password
        self.seen: dict[str, float] = {}
        self.snapshots = 0
        self.connected = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self._read()
        except Exception as e:   # the main thread reports it
            self.error = e
            self.connected.set()

    def _read(self) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.base}/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        opener.open(f"{self.base}/login", urllib.parse.urlencode(
            {"username": "supervisor", "password": self.password, "csrf_token": token}).encode())
        stream = opener.open(f"{self.base}/supervisor/wallboard/stream", timeout=600)
        self.connected.set()
        data = ""
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                now = time.time()
                self.snapshots += 1
                for agent in json.loads(data)["agents"]:
                    if agent["interface"] == MARKER and agent["reason"] not in self.seen:
                        self.seen[agent["reason"]] = now
                data = ""


# --- the run ------------------------------------------------------------------------------------------
def prepare(run_dir: Path, offset: int) -> tuple[Settings, dict, str]:
    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import make_engine, make_session_factory, session_scope

    env = {**os.environ, "HOTLINE_RUN_DIR": str(run_dir), "HOTLINE_PORT_OFFSET": str(offset),
           "HOTLINE_REDIS_PREFIX": f"hlbench-{secrets.token_hex(4)}:", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    settings = Settings.from_env(env)
    settings.ensure_dirs()
    upgrade(settings.database_url)
    with session_scope(make_session_factory(make_engine(settings.database_url))) as session:
        seed(session)
        password = seed_users(session)["supervisor"]
    return settings, env, password


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_marker(client, keys, reason: str, timeout: float) -> float:
    key = keys.agent("bench-marker")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.hget(key, "reason") == reason.encode():
            return time.time()
        time.sleep(0.002)
    raise SystemExit(f"the listener did not show marker {reason} within {timeout}s")


def with_markers(chunks: list[bytes], every: int, tag: str) -> list[str]:
    """Replace every ``every``-th event by a numbered marker; returns the markers in order."""
    names = []
    for i in range(every, len(chunks), every):
        names.append(f"{tag}-{i}")
        chunks[i] = marker(names[-1])
    return names


def lags(fake, reader, chunks: list[bytes], names: list[str], every: int, rate: float | None) -> dict:
    """Send ``chunks``; a marker's lag is from its write to the socket until the wallboard shows it or a
    later marker (a newer state replaces an older one on the screen, as it should)."""
    sent: dict[str, float] = {}

    def on_sent(start, n):
        now = time.time()
        for j in range(start - start % every, start + n, every):
            if start <= j < start + n and j:
                sent[f"{names[0].rsplit('-', 1)[0]}-{j}"] = now

    fake.send(chunks, rate=rate, on_sent=on_sent)
    time.sleep(1.5)
    shown, out = float("inf"), []
    for name in reversed(names):
        shown = min(shown, reader.seen.get(name, float("inf")))
        if name in sent and shown != float("inf"):
            out.append(shown - sent[name])
    out.sort()
    if not out:
        raise SystemExit("the wallboard showed no marker")
    return {"markers": len(names), "measured": len(out), "lag_p50_ms": round(1000 * statistics.median(out)),
            "lag_p95_ms": round(1000 * out[int(.95 * (len(out) - 1))]), "lag_max_ms": round(1000 * out[-1])}


def lag_run(fake, reader, recording, rate: int, seconds: float) -> dict:
    chunks = repeated(recording, int(rate * seconds))
    every = max(1, rate // 10)                       # a marker every 100 ms
    names = with_markers(chunks, every, f"lag{rate}")
    return {"rate": rate, "seconds": seconds, **lags(fake, reader, chunks, names, every, rate)}


def throughput(fake, reader, client, keys, listener_pid: int, recording, count: int, tag: str) -> dict:
    """Flat out; the clock stops when Redis shows the last event. Markers measure the wallboard's lag too."""
    stream = repeated(recording, count - 1) + [marker(f"{tag}-end")]
    every = max(1, count // 20)
    names = with_markers(stream[:-1], every, tag)
    chunks = stream[:-1]
    names_end = names + [f"{tag}-end"]
    chunks.append(stream[-1])
    cpu0 = cpu_seconds(listener_pid)
    done: dict = {}
    waiter = threading.Thread(target=lambda: done.update(t=wait_marker(client, keys, f"{tag}-end", 120)))
    waiter.start()
    started = time.time()
    lag = lags(fake, reader, chunks, names_end, every, None)
    waiter.join()
    seconds = done["t"] - started
    return {"events": count, "seconds": round(seconds, 3), "events_per_second": round(count / seconds),
            "listener_cpu_us_per_event": round(1e6 * (cpu_seconds(listener_pid) - cpu0) / count, 1),
            "wallboard_lag_during_flood": lag}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="AMI listener: events/s into Redis and lag to the wallboard")
    parser.add_argument("--recording", type=Path, default=HERE / "ami_events.txt")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rates", default="1000,5000,20000", help="steady rates (events/s) for the lag runs")
    parser.add_argument("--lag-seconds", type=float, default=10)
    parser.add_argument("--port-offset", type=int, default=4400, help="moves the web port (8000 + offset)")
    args = parser.parse_args()

    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))   # clean up the children on `timeout` too
    recording = load_recording(args.recording)
    fake = FakeAsterisk()
    processes = []
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        settings, env, password = prepare(Path(tmp), args.port_offset)
        from hotline.ports import assert_free
        assert_free("127.0.0.1", settings.ports.web, "the benchmark's web panel")
        client, keys = redis_client(settings, check=True), Keys(settings.redis_prefix)
        env["HOTLINE_AMI_ADDRESS"] = f"127.0.0.1:{fake.port}"
        log = open(Path(tmp) / "bench.log", "ab")
        try:
            for argv in (["ami", "listen"], ["web", "serve"]):
                processes.append(subprocess.Popen([sys.executable, "-m", "ops.cli", *argv], env=env, cwd=PROJECT,
                                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            listener = processes[0]
            if not fake.resynced.wait(20):
                raise SystemExit("the listener never connected to the fake Asterisk")
            base = f"http://127.0.0.1:{settings.ports.web}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            reader = WallboardReader(base, password)
            reader.start()
            reader.connected.wait(20)
            if reader.error or not reader.connected.is_set():
                raise SystemExit(f"the wallboard stream could not be opened: {reader.error}")

            say(f"listener and wallboard up; replaying {args.events} events flat out, twice")
            state_only = [e for e in recording if dict(e)["Event"] in STATE_EVENTS]
            result = {
                "recording": {"events": len(recording), "state_changing": len(state_only)},
                "recorded_mix": throughput(fake, reader, client, keys, listener.pid, recording, args.events, "mix"),
                "state_changing_only": throughput(fake, reader, client, keys, listener.pid, state_only,
                                                  args.events, "state"),
            }
            say(f"steady-rate lag runs at {args.rates} events/s")
            result["steady_rate_lag"] = [lag_run(fake, reader, recording, int(r), args.lag_seconds)
                                         for r in args.rates.split(",")]
            result["wallboard_snapshots_received"] = reader.snapshots
            print(json.dumps(result, indent=2))
        finally:
            for p in processes:
                os.killpg(p.pid, signal.SIGTERM)
            for p in processes:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
            log.close()
            stale = list(client.scan_iter(f"{keys.prefix}*"))
            if stale:
                client.delete(*stale)


if __name__ == "__main__":
    main()
