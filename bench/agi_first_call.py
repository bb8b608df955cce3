#!/usr/bin/env python3
"""The first calls after a FastAGI server starts, with and without its warm-up, side by side.

    .venv/bin/python bench/agi_first_call.py [--starts 5] [--calls 8]

Prepares the same throw-away installation as bench/agi_load.py, then starts the
real server (`hotline agi serve`) ``--starts`` times each way, alternating (warm-up,
then `--no-warm-up`), and times the first ``--calls`` inbound setups after it
answers (a ``ping`` exchange, the readiness check `hotline up` and supervisord use: the
port is bound before the warm-up, so a connection alone says nothing). Prints the median of
each call's latency per way.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import agi_load  # noqa: E402  (the same installation and simulated Asterisk)

from hotline.config import Settings  # noqa: E402
from ops.services import agi_answers  # noqa: E402


def first_calls(env: dict[str, str], port: int, calls: int, extra: list[str], tag: str) -> list[float]:
    server = subprocess.Popen([sys.executable, "-m", "ops.cli", "agi", "serve", *extra], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not agi_answers(port, timeout=1.0):
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the FastAGI server did not start")
            time.sleep(0.02)
        return [agi_load.one_call(port, f"{tag}.{i}", agi_load.NUMBERS[i % len(agi_load.NUMBERS)])[0] * 1000
                for i in range(calls)]
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=8)
    args = parser.parse_args()
    env = agi_load.prepare(Path(tempfile.mkdtemp(prefix="hotline-first-call-")))
    port = Settings.from_env(env).ports.agi
    ways = {"warm-up": [], "no warm-up": []}
    for n in range(args.starts):
        ways["warm-up"].append(first_calls(env, port, args.calls, [], f"w{n}"))
        ways["no warm-up"].append(first_calls(env, port, args.calls, ["--no-warm-up"], f"c{n}"))
    print(f"median latency (ms) of the nth call after start, over {args.starts} starts each")
    print("way          " + " ".join(f"{i + 1:>6}" for i in range(args.calls)))
    for way, runs in ways.items():
        print(f"{way:<12} " + " ".join(f"{statistics.median(r[i] for r in runs):6.1f}" for i in range(args.calls)))


if __name__ == "__main__":
    main()
