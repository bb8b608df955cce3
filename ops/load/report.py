"""What a load run measured: calls (from sipp and the call records), AGI times, streams, processes.

Every figure comes from a real source: sipp's own log lines, the ``calls`` table, the FastAGI
server's "AGI timing" lines (HOTLINE_AGI_TIMING=1), the screen clients, psutil samples and
``sox`` on the recordings.
"""
from __future__ import annotations

import collections
import datetime as dt
import re
import statistics
import subprocess
import threading
import time
from pathlib import Path

import psutil
from sqlalchemy import select

from db.models import Call
from db.session import session_factory_for
from hotline.config import Settings

# the call path's decisions, whose time is Python's; every other handler is reported apart: ivr, rating,
# progress... wait for the caller's keys (their time is mostly the caller's), ping is the health check
DECISIONS = ("inbound", "agent_connect", "hangup")
AGI_TIMING = re.compile(r"^(\S+ \S+) INFO agi\.server: AGI timing (\S+) ([0-9.]+) ms"
                        r"(?: \(Asterisk's replies ([0-9.]+) ms(?:, database ([0-9.]+) ms)?"
                        r"(?:, on a core ([0-9.]+) ms, waiting for a core ([0-9.]+) ms)?\))?")
PARTS = ("asterisk", "database", "on_core", "run_queue")     # the line's groups 4-7, in this order
SILENT_RMS = 0.001      # sox "RMS amplitude" below this: a silent recording


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 4)


def sipp_outcomes(log_lines: list[str]) -> dict[str, int]:
    """Counts of the caller scenario's log words (offered, connected, answered, abandoned, ended)."""
    counts: dict[str, int] = {}
    for line in log_lines:
        parts = line.split(None, 1)
        if len(parts) == 2:
            counts[parts[1].strip()] = counts.get(parts[1].strip(), 0) + 1
    return counts


def agi_times(log_file: Path, since: dt.datetime) -> dict:
    """p50/p99/max per AGI script from the FastAGI log, lines at or after ``since`` (local time).

    Each decision's time is also split in two: waiting for Asterisk's replies to the AGI commands (the
    channel's thread must run to answer) and the rest, ours (Python, the database); and the database's
    part of ours is given on its own (statements, their lock waits, commits). Where the line has them, the
    thread's time on a core and waiting for one are given too, and the slowest decisions' ``tail``."""
    by_script: dict[str, list[float]] = {}
    split: dict[str, list[float]] = {"ours": [], **{part: [] for part in PARTS}}
    decisions: list[tuple[float, dict[str, float]]] = []
    if log_file.exists():
        for line in log_file.read_text(errors="replace").splitlines():
            m = AGI_TIMING.match(line)
            if m and dt.datetime.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S") >= since.replace(microsecond=0):
                total = float(m.group(3))
                by_script.setdefault(m.group(2), []).append(total)
                if m.group(2) in DECISIONS and m.group(4) is not None:
                    parts = {part: float(m.group(4 + i)) for i, part in enumerate(PARTS) if m.group(4 + i)}
                    split["ours"].append(total - parts["asterisk"])
                    for part, value in parts.items():
                        split[part].append(value)
                    decisions.append((total, parts))
    every = [v for k in DECISIONS for v in by_script.get(k, [])]
    return {"runs": sum(len(v) for v in by_script.values()), "decisions": len(every),
            "p50_ms": percentile(every, 50), "p99_ms": percentile(every, 99),
            "max_ms": max(every) if every else None, "decision_scripts": list(DECISIONS),
            **{f"{part}_{q}_ms": percentile(values, n) for part, values in split.items() if values
               for q, n in (("p50", 50), ("p99", 99))},
            **({"tail": tail_of(decisions)} if decisions else {}),
            "left_out": sorted(set(by_script) - set(DECISIONS)),
            "by_script": {k: {"runs": len(v), "p99_ms": percentile(v, 99)} for k, v in sorted(by_script.items())}}


def tail_of(decisions: list[tuple[float, dict[str, float]]], share: float = 0.01) -> dict:
    """Where the slowest ``share`` of the decisions spent their wall time, summed over them.

    ``on_core`` and ``run_queue`` are the thread's own (the kernel's counters); ``asleep`` is the rest, the
    thread neither running nor runnable. Asleep holds the waits for Asterisk's replies and the database's
    sleeps (its locks, the disk); ``asleep_elsewhere`` is what is left of it after both (a lower bound: the
    two also hold some run-queue time), a wait on something else such as the GIL or a lock of ours."""
    slowest = sorted(decisions, key=lambda d: d[0], reverse=True)[:max(1, round(len(decisions) * share))]
    wall = sum(total for total, _ in slowest)
    sums = {part: round(sum(parts.get(part, 0.0) for _, parts in slowest), 1) for part in PARTS
            if any(part in parts for _, parts in slowest)}
    tail = {"decisions": len(slowest), "wall_ms": round(wall, 1), **{f"{k}_ms": v for k, v in sums.items()}}
    if "run_queue" in sums:
        asleep = wall - sums["on_core"] - sums["run_queue"]
        tail["asleep_ms"] = round(asleep, 1)
        tail["asleep_elsewhere_ms"] = round(max(0.0, asleep - sums["asterisk"] - sums.get("database", 0.0)), 1)
    return tail


def call_records(settings: Settings, caller_like: str, since: dt.datetime) -> dict:
    with session_factory_for(settings.database_url)() as db:
        calls = list(db.scalars(select(Call).where(Call.caller.like(caller_like), Call.arrived_at >= since)))
        outcomes: dict[str, int] = {}
        for c in calls:
            key = c.outcome.value if c.outcome else "open"
            outcomes[key] = outcomes.get(key, 0) + 1
        waits = [c.wait_seconds for c in calls if c.wait_seconds is not None]
        talks = [c.talk_seconds for c in calls if c.talk_seconds is not None]
        recordings = [c.recording_file for c in calls if c.outcome and c.outcome.value == "answered" and c.recording_file]
    return {"records": len(calls), "outcomes": outcomes,
            "wait_p50_s": percentile(waits, 50), "wait_p99_s": percentile(waits, 99),
            "talk_p50_s": percentile(talks, 50), "talk_min_s": min(talks) if talks else None,
            "talk_max_s": max(talks) if talks else None, "recording_files": recordings}


def check_recordings(files: list[str], sample: int = 20) -> dict:
    """Length (soxi -D) and loudness (sox stat RMS) of up to ``sample`` recordings."""
    checked, bad = 0, []
    for name in files[:sample]:
        path = Path(name)
        checked += 1
        if not path.exists():
            bad.append(f"{path.name}: missing")
            continue
        length = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, timeout=20)
        stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, timeout=20)
        rms = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", stat.stderr)
        seconds = float(length.stdout.strip() or 0)
        if seconds < 1.0 or rms is None or float(rms.group(1)) < SILENT_RMS:
            bad.append(f"{path.name}: {seconds:.1f} s, RMS {rms.group(1) if rms else '?'}")
    return {"checked": checked, "invalid": len(bad), "problems": bad[:10]}


def postmaster_pid() -> int | None:
    """The local PostgreSQL server's main process (its backends are its children), if one runs here."""
    names = ("postgres", "postmaster")
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in names:
            try:
                parent = proc.parent()
                if parent is None or parent.name() not in names:
                    return proc.pid
            except psutil.Error:
                continue
    return None


class ProcessSampler:
    """CPU % and RSS of named processes every ``every`` s (a daemon thread, stopped by ``stop``), their
    children's counted in (gunicorn's workers), except for the names in ``alone`` (the load generator
    itself, whose children are the sipps, sampled by their own names)."""

    def __init__(self, pids: dict[str, int], every: float = 2.0, alone: frozenset[str] = frozenset()):
        self.alone = alone
        self.procs = {}
        for name, pid in pids.items():
            try:
                self.procs[name] = psutil.Process(pid)
                self.procs[name].cpu_percent(None)
            except psutil.Error:
                pass
        self.every, self.samples = every, {n: [] for n in self.procs}
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "ProcessSampler":
        self.thread.start()
        return self

    def _run(self) -> None:
        children: dict[int, psutil.Process] = {}     # gunicorn workers etc.: first reading is 0 %
        while not self._stop.wait(self.every):
            for name, proc in self.procs.items():
                try:
                    cpu, rss, files = proc.cpu_percent(None), proc.memory_info().rss, proc.num_fds()
                    for child in ([] if name in self.alone else proc.children(recursive=True)):
                        known = children.setdefault(child.pid, child)
                        cpu += known.cpu_percent(None)
                        rss += known.memory_info().rss
                    self.samples[name].append((cpu, rss, files))
                except psutil.Error:
                    pass

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join(timeout=self.every + 5)
        out = {}
        for name, rows in self.samples.items():
            if rows:
                out[name] = {"cpu_mean_pct": round(sum(r[0] for r in rows) / len(rows), 1),
                             "cpu_max_pct": round(max(r[0] for r in rows), 1),
                             "rss_max_mb": round(max(r[1] for r in rows) / 2**20, 1),
                             "rss_first_mb": round(rows[0][1] / 2**20, 1), "rss_last_mb": round(rows[-1][1] / 2**20, 1),
                             "open_files_max": max(r[2] for r in rows),
                             **growth("rss", [r[1] / 2**20 for r in rows]),
                             **growth("open_files", [r[2] for r in rows])}
        return out


def growth(name: str, values: list[float]) -> dict:
    """A soak's question, does it grow: the median of the run's second tenth (warmed up: caches filled,
    pools open, every worker started) against the median of its last tenth. Too few samples: nothing."""
    if len(values) < 20:
        return {}
    tenth = len(values) // 10
    warm, end = statistics.median(values[tenth:2 * tenth]), statistics.median(values[-tenth:])
    return {f"{name}_warm": round(warm, 1), f"{name}_end": round(end, 1), f"{name}_growth": round(end - warm, 1)}


KEY_DIGITS = re.compile(r"[0-9]+(\.[0-9]+)?")


def key_shape(key: str, prefix: str) -> str:
    """A key without its prefix and with its numbers as ``#``: ``agent:#``, ``stats:#-#-#:agent:#``."""
    return KEY_DIGITS.sub("#", key[len(prefix):] if key.startswith(prefix) else key)


class RedisKeyCounter:
    """How many keys the installation holds in Redis (its prefix), every ``every`` s: live state, rq's
    jobs of this installation's queue and results expire or are trimmed, so a steady load keeps it flat.
    Each sample also counts the keys by shape, so a growth says which keys grew."""

    def __init__(self, client, prefix: str, every: float = 10.0):
        self.client, self.prefix, self.every, self.samples = client, prefix, every, []
        self.shapes: list[collections.Counter] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "RedisKeyCounter":
        self.thread.start()
        return self

    def _sample(self) -> collections.Counter:
        return collections.Counter(key_shape(k.decode() if isinstance(k, bytes) else k, self.prefix)
                                   for k in self.client.scan_iter(match=f"{self.prefix}*", count=1000))

    def _run(self) -> None:
        while True:
            try:
                shapes = self._sample()
                self.samples.append(sum(shapes.values()))
                self.shapes.append(shapes)
            except Exception:     # a Redis restart during a fault run: that sample is missing
                pass
            if self._stop.wait(self.every):
                return

    def stop(self) -> dict:
        self._stop.set()
        if self.thread.ident is not None:
            self.thread.join(timeout=self.every + 5)
        if not self.samples:
            return {}
        out = {"first": self.samples[0], "max": max(self.samples), "last": self.samples[-1],
               "samples": len(self.samples), **growth("keys", self.samples)}
        if len(self.shapes) >= 20:       # the warmed-up second tenth's first sample against the last one
            warm, end = self.shapes[len(self.shapes) // 10], self.shapes[-1]
            grew = {shape: end[shape] - warm[shape] for shape in end if end[shape] != warm[shape]}
            out["keys_growth_by_shape"] = dict(sorted(grew.items(), key=lambda kv: -abs(kv[1]))[:10])
        return out


class CallCounter:
    """Calls and channels up on the PBX (``core show channels count``) every ``every`` s."""

    def __init__(self, pbx, every: float = 5.0):
        self.pbx, self.every, self.samples = pbx, every, []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "CallCounter":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                out = self.pbx.cli("core show channels count", check=False, timeout=10)
            except Exception:     # a busy PBX may not answer the CLI in time: that sample is lost
                continue
            calls, channels = re.search(r"(\d+) active calls?", out), re.search(r"(\d+) active channels?", out)
            if calls and channels:
                self.samples.append((int(calls.group(1)), int(channels.group(1))))

    def stop(self) -> dict:
        self._stop.set()
        self.thread.join(timeout=self.every + 15)
        return {"samples": len(self.samples), "peak_calls": max((c for c, _ in self.samples), default=None),
                "peak_channels": max((h for _, h in self.samples), default=None)}


def machine_load() -> dict:
    load1, load5, _ = psutil.getloadavg()
    return {"cpus": psutil.cpu_count(), "loadavg_1m": round(load1, 2), "loadavg_5m": round(load5, 2),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
