#!/usr/bin/env python3
"""FastAGI benchmark: call setups per second, latency and memory of the `inbound` decision.

    .venv/bin/python bench/agi_load.py [--calls 4000] [--concurrency 16] [--rate 200] [--per-process 200]

It prepares a throw-away installation (SQLite in a temp run folder, seeded),
starts the real FastAGI server (`hotline agi serve`) as its own process, and
plays Asterisk: each simulated call connects on loopback, sends an AGI
environment for a dialed number drawn from the seeded lines, answers every
command `200 result=1` and measures connect → server close. Two runs: closed
loop (``--concurrency`` callers back to back: the most it sustains) and open
loop (calls offered at ``--rate`` per second whatever the server does, latency
counted from each call's scheduled start, so queueing shows). Then it runs the
same handler as a process-per-call pyst2 script and compares CPU and memory per
call. Results go to stdout as a table; docs/benchmarks.md keeps them.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NUMBERS = ["12345", "12315", "12358", "12366", "110", "86011234", "12319", "99999999", "12333", "12360"]


def environment(uniqueid: str, dialed: str) -> bytes:
    env = {
        "agi_network": "yes", "agi_network_script": "inbound", "agi_request": "agi://127.0.0.1/inbound",
        "agi_channel": f"PJSIP/carrier-{uniqueid}", "agi_language": "en", "agi_type": "PJSIP",
        "agi_uniqueid": uniqueid, "agi_version": "22.10.1", "agi_callerid": "13800138000",
        "agi_calleridname": "unknown", "agi_dnid": dialed, "agi_rdnis": "unknown",
        "agi_context": "hotline-inbound", "agi_extension": dialed, "agi_priority": "12",
        "agi_enhanced": "0.0", "agi_accountcode": "", "agi_threadid": "1",
        "agi_arg_1": f"trace-{uniqueid}", "agi_arg_2": uniqueid, "agi_arg_3": f"/rec/{uniqueid}.wav",
    }
    return ("".join(f"{k}: {v}\n" for k, v in env.items()) + "\n").encode()


def one_call(port: int, uniqueid: str, dialed: str) -> tuple[float, int]:
    """Returns (seconds from connect to close, commands answered)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(environment(uniqueid, dialed))
        f = s.makefile("rb")
        commands = 0
        for line in f:
            if not line.strip():
                continue
            commands += 1
            s.sendall(b"200 result=1\n")
    return time.perf_counter() - started, commands


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(run_dir: Path) -> dict[str, str]:
    env = {**os.environ, "HOTLINE_RUN_DIR": str(run_dir), "HOTLINE_PORT_OFFSET": "3000",
           "HOTLINE_REDIS_PREFIX": "hlbench:", "DATABASE_URL": f"sqlite:///{run_dir / 'bench.db'}"}
    for cmd in (["db", "upgrade"], ["seed"]):
        subprocess.run([sys.executable, "-m", "ops.cli", *cmd], env=env, cwd=ROOT, check=True,
                       capture_output=True)
    return env


def open_loop(port: int, calls: int, rate: float, workers: int = 32) -> dict:
    """Offer ``calls`` at ``rate`` per second; latency from the scheduled start (includes any queueing)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(54321)
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def placed(n: int) -> None:
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        one_call(port, f"1850000000.{n}", rng.choice(NUMBERS))
        with lock:
            latencies.append(time.perf_counter() - due)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(placed, range(calls)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {"rate": rate, "calls": calls, "achieved_per_s": calls / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "max_ms": latencies[-1] * 1000}


def fastagi(env: dict[str, str], calls: int, concurrency: int, rate: float) -> dict:
    from hotline.config import Settings

    port = Settings.from_env(env).ports.agi
    server = subprocess.Popen([sys.executable, "-m", "ops.cli", "agi", "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        for i in range(50):  # warm-up: imports, connection pool, SQLite page cache
            one_call(port, f"warm.{i}", NUMBERS[i % len(NUMBERS)])
        cpu_before = cpu_seconds(server.pid)
        latencies: list[float] = []
        lock = threading.Lock()
        counter = iter(range(calls))
        rng = random.Random(12345)
        dialed = [rng.choice(NUMBERS) for _ in range(calls)]

        def worker() -> None:
            for n in counter:
                seconds, commands = one_call(port, f"1800000000.{n}", dialed[n])
                assert commands == 1, f"call {n}: {commands} commands, expected the one decision — handler failed?"
                with lock:
                    latencies.append(seconds)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(server.pid) - cpu_before
        latencies.sort()
        offered = open_loop(port, min(calls, int(rate * 10)), rate)
        return {"open_loop": offered, "calls": calls, "concurrency": concurrency, "setups_per_s": calls / elapsed,
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "max_ms": latencies[-1] * 1000, "server_rss_mib": rss_kib(server.pid) / 1024,
                "cpu_ms_per_call": cpu / calls * 1000}
    finally:
        server.terminate()
        server.wait(10)


def per_process(env: dict[str, str], calls: int) -> dict:
    script = ROOT / "bench" / "agi_script.py"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    max_rss = 0
    for n in range(calls):
        proc = subprocess.Popen([sys.executable, str(script)], env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdin.write(environment(f"1900000000.{n}", NUMBERS[n % len(NUMBERS)]))
        proc.stdin.flush()
        for line in proc.stdout:
            if line.strip():
                proc.stdin.write(b"200 result=1\n")
                proc.stdin.flush()
        proc.stdin.close()
        proc.wait()
        assert proc.returncode == 0, f"per-process script failed on call {n}"
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    max_rss = after.ru_maxrss
    return {"calls": calls, "cpu_ms_per_call": cpu / calls * 1000, "wall_ms_per_call": elapsed / calls * 1000,
            "max_rss_mib_per_process": max_rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200, help="offered calls per second for the open-loop run")
    parser.add_argument("--per-process", type=int, default=200, help="calls for the per-process comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        env = prepare(Path(tmp))
        fast = fastagi(env, args.calls, args.concurrency, args.rate)
        print(f"FastAGI closed loop  calls={fast['calls']} concurrency={fast['concurrency']}  "
              f"{fast['setups_per_s']:.0f} setups/s  p50 {fast['p50_ms']:.2f} ms  p99 {fast['p99_ms']:.2f} ms  "
              f"max {fast['max_ms']:.1f} ms  server RSS {fast['server_rss_mib']:.1f} MiB  "
              f"CPU {fast['cpu_ms_per_call']:.2f} ms/call")
        o = fast["open_loop"]
        print(f"FastAGI open loop    offered {o['rate']:.0f}/s  calls={o['calls']}  achieved {o['achieved_per_s']:.0f}/s  "
              f"p50 {o['p50_ms']:.2f} ms  p99 {o['p99_ms']:.2f} ms  max {o['max_ms']:.1f} ms")
        proc = per_process(env, args.per_process)
        print(f"process-per-call  calls={proc['calls']}  CPU {proc['cpu_ms_per_call']:.1f} ms/call  "
              f"wall {proc['wall_ms_per_call']:.1f} ms/call  max RSS {proc['max_rss_mib_per_process']:.1f} MiB")
        print(f"CPU per call: FastAGI is {proc['cpu_ms_per_call'] / fast['cpu_ms_per_call']:.0f}x cheaper")


if __name__ == "__main__":
    main()
