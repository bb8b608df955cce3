#!/usr/bin/env python3
"""How late a writer gets SQLite's write lock after another process lets it go, side by side in one run.

    .venv/bin/python bench/sqlite_lock_handoff.py --rounds 400

A second process (the holder) takes the write lock (``BEGIN IMMEDIATE``), holds it for a time drawn from
``--hold`` (milliseconds), notes the moment after its COMMIT and says so on a pipe. Meanwhile this
process asks for the lock, in alternating rounds:

- A, SQLite's busy handler: ``BEGIN IMMEDIATE`` on a connection with a busy timeout (it sleeps 1, 2, 5, 10,
  15, 20, 25, 25, 25, 50, 50, 100 ms between tries);
- B, db/sqlite_writes.take_database_lock: no busy timeout, tried again at most every 2 ms.

"late" is the time from the holder's commit to this process holding the lock (CLOCK_MONOTONIC is one
clock for both processes). Prints p50/p99/max per arm as JSON.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.sqlite_writes import take_database_lock  # noqa: E402
from ops.load.report import percentile  # noqa: E402

HOLDER = r"""
import random, sqlite3, sys, time
db, low, high, seed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
c = sqlite3.connect(db, isolation_level=None)
for line in sys.stdin:                      # "go": one round
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES (1)")
    print("held", flush=True)
    time.sleep(rng.uniform(low, high) / 1000)
    c.execute("COMMIT")
    print(f"released {time.monotonic()!r}", flush=True)
"""

BUSY_TIMEOUT_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--hold", default="5-120", help="the holder's hold, LOW-HIGH milliseconds")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    low, high = (float(x) for x in args.hold.split("-"))

    with tempfile.TemporaryDirectory(prefix="hotline-lock-handoff-") as folder:
        db = str(Path(folder) / "handoff.db")
        setup = sqlite3.connect(db, isolation_level=None)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x INTEGER)")
        setup.close()
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, db, str(low), str(high), str(args.seed)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        waiter = sqlite3.connect(db, isolation_level=None, timeout=BUSY_TIMEOUT_S)
        waiter.execute("PRAGMA journal_mode=WAL")
        late: dict[str, list[float]] = {"A: SQLite's busy handler": [], "B: take_database_lock": []}
        arms = list(late)
        try:
            for i in range(args.rounds):
                arm = arms[i % 2]
                holder.stdin.write("go\n")
                assert holder.stdout.readline().strip() == "held"
                if arm.startswith("A"):
                    waiter.execute("BEGIN IMMEDIATE")
                else:
                    take_database_lock(waiter, BUSY_TIMEOUT_S, restore_busy_ms=int(BUSY_TIMEOUT_S * 1000))
                got = time.monotonic()
                released = float(holder.stdout.readline().split()[1])
                waiter.execute("INSERT INTO t VALUES (2)")
                waiter.execute("COMMIT")
                late[arm].append((got - released) * 1000)
        finally:
            holder.stdin.close()
            holder.wait(10)
            waiter.close()
    print(json.dumps({"rounds": args.rounds, "hold_ms": args.hold, "late_ms": {
        arm: {"n": len(v), "p50": round(percentile(v, 50), 2), "p99": round(percentile(v, 99), 2),
              "max": round(max(v), 2)} for arm, v in late.items()}}, indent=1))


if __name__ == "__main__":
    main()
