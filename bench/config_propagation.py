#!/usr/bin/env python3
"""How fast a saved configuration change reaches routing (goal: well within 2 s; the TTL is the fallback).

    .venv/bin/python bench/config_propagation.py [--changes 200]

A throw-away installation (SQLite in a temp run folder, migrated and seeded), real Redis (a
prefix of its own), the FastAGI server's configuration watch (ops/config_watch.py) running in a
thread as it does in `hotline agi serve`. Each round saves one line change through
centre_config.versions (checked, versioned, committed), announces it (centre_config.live), and
measures: commit → the routing snapshot dropped by the watch (the pub/sub path), and the first
call's cost afterwards: loading the new snapshot (lines, queues, switches, calendar, menus).
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-config-"))
    os.environ.update({"HOTLINE_RUN_DIR": str(run_dir), "DATABASE_URL": f"sqlite:///{run_dir / 'hotline.db'}",
                       "HOTLINE_REDIS_PREFIX": f"hlbench-{secrets.token_hex(3)}:"})

    from agi.config_snapshot import CACHE
    from centre_config import live, versions
    from db.migrate import upgrade
    from db.seed import seed
    from db.session import session_factory_for, session_scope
    from hotline.config import Settings
    from ops import config_watch

    settings = Settings.from_env()
    settings.ensure_dirs()
    upgrade(settings.database_url)
    factory = session_factory_for(settings.database_url)
    with session_scope(factory) as s:
        seed(s)
    stop = threading.Event()
    config_watch.start(settings, stop)
    dropped, reload, save = [], [], []
    with factory() as s:
        for i in range(args.changes):
            CACHE.get(s)
            t0 = time.perf_counter()
            versions.save(s, "line", "12393", {"no_menu": i % 2 == 0}, by="bench")
            s.commit()
            t1 = time.perf_counter()
            live.after_commit(settings, versions.pending_changes(s))
            while CACHE._snapshot is not None:
                time.sleep(0.0002)
            t2 = time.perf_counter()
            snap = CACHE.get(s)
            t3 = time.perf_counter()
            assert snap.line("12393").no_menu is (i % 2 == 0)
            save.append(t1 - t0)
            dropped.append(t2 - t1)
            reload.append(t3 - t2)
    stop.set()

    def row(name: str, values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        p95 = ms[int(len(ms) * 0.95) - 1]
        return f"| {name} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} |"

    print(f"{args.changes} changes of line 12393 (SQLite, Redis pub/sub, one watch thread)\n")
    print("| step | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    print(row("save: check + write + version row + commit", save))
    print(row("announce → snapshot dropped by the watch", dropped))
    print(row("first call after: load the new snapshot", reload))
    print(row("commit → routing sees it (sum of the last two)", [a + b for a, b in zip(dropped, reload)]))


if __name__ == "__main__":
    main()
