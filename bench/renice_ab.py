#!/usr/bin/env python3
"""A/B of one service's CPU priority under a running load, side by side in the same run.

    HOTLINE_TEST_PORT_OFFSET=4800 .venv/bin/python bench/load_capacity.py --rate 2 --seconds 480 ... &
    .venv/bin/python bench/renice_ab.py --run-dir RUN_DIR --start 120 --every 60 \\
        --windows 6 --nice -5          # or --rr 1: the B arm in the real-time class (SCHED_RR) instead

RUN_DIR is the installation's run folder (bench/load_capacity.py makes a temporary one, named
``hotline-capacity-*``). Waits ``--start`` seconds (the load's ramp-up), then takes turns every ``--every`` seconds between the
service's usual niceness in the normal class (A) and ``--nice`` (B), or SCHED_RR at ``--rr`` (B), ``--windows``
windows in all, starting with A, and at the end puts the service back as it ran. Every thread of the service is reniced (on Linux a niceness is per thread; the FastAGI server's handler threads, made
per connection, inherit their acceptor's). Then it reads the FastAGI log's timing lines
(``HOTLINE_AGI_TIMING=1``) and prints p50/p99 of the call path's decisions per niceness as JSON.
The same load in both arms, interleaved, so the machine's drift falls on both alike.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ops.load.report import DECISIONS, percentile  # noqa: E402

TIMING = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*AGI timing (\S+) ([0-9.]+) ms")


def service_pid(run_dir: Path, marker: str) -> int:
    """The process of this installation (HOTLINE_RUN_DIR) whose command line holds ``marker``."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in cmd and f"HOTLINE_RUN_DIR={run_dir}".encode() in env and "nice" not in cmd.split()[0]:
            return int(proc.name)
    raise SystemExit(f"no process with {marker!r} for {run_dir}")


def renice_all(pid: int, value: int, rr: int | None = None) -> int:
    """Every thread of ``pid`` at niceness ``value`` (SCHED_OTHER), or at SCHED_RR priority ``rr``."""
    threads = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if rr is None:
                os.sched_setscheduler(int(task.name), os.SCHED_OTHER, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, int(task.name), value)
            else:
                os.sched_setscheduler(int(task.name), os.SCHED_RR, os.sched_param(rr))
            threads += 1
        except (ProcessLookupError, PermissionError):
            pass
    return threads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--marker", default="agi serve", help="what the service's command line holds")
    parser.add_argument("--nice", type=int, default=-5, help="the B arm's niceness")
    parser.add_argument("--rr", type=int, default=None, help="the B arm in SCHED_RR at this priority instead")
    parser.add_argument("--start", type=float, default=120.0)
    parser.add_argument("--every", type=float, default=60.0)
    parser.add_argument("--windows", type=int, default=6)
    args = parser.parse_args()

    run_dir = args.run_dir.resolve()
    pid = service_pid(run_dir, args.marker)
    usual = os.getpriority(os.PRIO_PROCESS, pid)
    usual_rr = os.sched_getparam(pid).sched_priority if os.sched_getscheduler(pid) == os.SCHED_RR else None
    time.sleep(args.start)
    windows = []
    for i in range(args.windows):
        value = usual if i % 2 == 0 else args.nice
        threads = renice_all(pid, value, None if i % 2 == 0 else args.rr)
        value = f"rr {args.rr}" if i % 2 and args.rr is not None else value
        began = dt.datetime.now()
        time.sleep(args.every)
        windows.append((began, dt.datetime.now(), value, threads))
    renice_all(pid, usual, usual_rr)     # as it ran before (the FastAGI server: SCHED_RR 1 by default)

    by_nice: dict[int | str, list[float]] = {}
    for line in (run_dir / "log" / "agi.log").read_text(errors="replace").splitlines():
        m = TIMING.match(line)
        if not m or m.group(2) not in DECISIONS:
            continue
        at = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for began, ended, value, _ in windows:
            if began <= at < ended:
                by_nice.setdefault(value, []).append(float(m.group(3)))
    print(json.dumps({
        "service": args.marker, "pid": pid, "usual_nice": usual,
        "windows": [{"from": b.isoformat(timespec="seconds"), "to": e.isoformat(timespec="seconds"), "nice": v,
                     "threads": t} for b, e, v, t in windows],
        "decisions": {str(v): {"runs": len(ms), "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
                               "max_ms": max(ms)} for v, ms in sorted(by_nice.items(), key=str) if ms},
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
