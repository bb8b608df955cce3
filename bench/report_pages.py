#!/usr/bin/env python3
"""The list, hotspot, map and report pages at size (issue 14 items 5, 6): time per page on a generated year.

    .venv/bin/python bench/report_pages.py [--scale 0.1] [--database postgresql|sqlite] [--repeat 5]
                                           [--keep] [--url URL] [--only kpis]

``--keep`` leaves the generated database in place and prints its URL; ``--url`` times an
existing one (generated before with ``--keep``) without generating again, so a change can be
timed before and after on the same data. ``--only``/``--skip`` (repeatable) keep or leave out the pages whose label contains the text.
``--rollup`` rolls the year up first (``kpis.rollup_build.roll_range``, as ``hotline kpis rollup
--from 2025-01-01 --to 2025-12-31`` does) and prints how long that took; without it the KPI pages
read the base tables only.

A throw-away database (PostgreSQL: a fresh database on HOTLINE_BENCH_PG_URL, default the local
server as root over its socket; or SQLite in a temp folder), migrated, seeded, then
`reports.history.generate` writes scale × (1,000,000 tickets + 3,000,000 calls) for 2025 and the
planner statistics are refreshed (ANALYZE). Each page is fetched through the real Flask app (test
client, logged in as the demo supervisor or the 市场监管局 clerk): the time is the whole request —
SQL, template, response — and the figures are p50 and p95 over ``--repeat`` fetches after one warm-up.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGES = [  # (who, what, path)
    ("supervisor", "ticket search, newest first, page 1", "/centre/tickets"),
    ("supervisor", "ticket search, page 200 (offset 9,950, the last counted)", "/centre/tickets?page=200"),
    ("supervisor", "ticket search, one department by deadline", "/centre/tickets?department=cgj&sort=due&dir=asc"),
    ("supervisor", "ticket search, latest deadline first, page 20", "/centre/tickets?sort=due&dir=desc&page=20"),
    ("supervisor", "ticket search, by state, page 20", "/centre/tickets?sort=state&page=20"),
    ("supervisor", "ticket search, by topic (may be empty) Z-A, page 20", "/centre/tickets?sort=topic&dir=desc&page=20"),
    ("supervisor", "ticket search, one month, by number", "/centre/tickets?from=2025-07-01&to=2025-07-31&sort=number"),
    ("supervisor", "ticket search, overdue in a month", "/centre/tickets?from=2025-07-01&to=2025-07-31&overdue=1"),
    ("supervisor", "review queue (6 queues + overdue)", "/centre/"),
    ("clerk", "department portal (6 sections)", "/department/"),
    ("clerk", "department section, page 20", "/department/list/answered?page=20"),
    ("clerk", "department section, latest deadline first", "/department/list/answered?sort=due&dir=desc"),
    ("supervisor", "calls of the surge day, newest first", "/supervisor/calls?from=2025-07-15&to=2025-07-15"),
    ("supervisor", "calls of a month by dialed number, page 20",
     "/supervisor/calls?from=2025-07-01&to=2025-07-31&sort=dialed&page=20"),
    ("supervisor", "calls of a week by wait, page 10", "/supervisor/calls?from=2025-07-09&to=2025-07-15&sort=wait&dir=desc&page=10"),
    ("supervisor", "hotspots: a week, spikes of the surge day", "/supervisor/hotspots/?from=2025-07-09&to=2025-07-15&day=2025-07-15"),
    ("supervisor", "district map, a month", "/supervisor/hotspots/map?from=2025-07-01&to=2025-07-31"),
    ("supervisor", "daily report (surge day)", "/supervisor/reports/daily?on=2025-07-15"),
    ("supervisor", "weekly report", "/supervisor/reports/weekly?on=2025-07-15"),
    ("supervisor", "monthly report", "/supervisor/reports/monthly?on=2025-07"),
    ("supervisor", "kpis: dashboard, a month", "/supervisor/kpis/?from=2025-07-01&to=2025-07-31"),
    ("supervisor", "kpis: dashboard, the year", "/supervisor/kpis/?from=2025-01-01&to=2025-12-31"),
    ("supervisor", "kpis: API, a month by department", "/api/v1/kpis?from=2025-07-01&to=2025-07-31&by=department"),
    ("supervisor", "kpis: API, the year by day", "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=day"),
    ("supervisor", "kpis: API, the year by line and hour",
     "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=line,hour&family=calls"),
    ("supervisor", "kpis: API, a month by topic", "/api/v1/kpis?from=2025-07-01&to=2025-07-31&by=topic"),
    ("supervisor", "kpis: API, the year by topic", "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=topic"),
    ("supervisor", "kpis: API, the year by district", "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=district"),
    ("supervisor", "kpis: API, the year by agent", "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=agent"),
    ("supervisor", "kpis: API, the year of one topic by day",
     "/api/v1/kpis?from=2025-01-01&to=2025-12-31&by=day&topic=utilities-water"),
]
LOGINS = {"supervisor": "supervisor", "clerk": "scjgj"}


def pg_database():
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from db.session import normalize_url
    server = make_url(normalize_url(os.environ.get("HOTLINE_BENCH_PG_URL")
                                    or "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"))
    name = f"hotline_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")

    def drop():
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="leave the generated database in place")
    parser.add_argument("--url", help="time this database (generated before with --keep); no generation")
    parser.add_argument("--only", action="append", help="time only the pages whose label contains this text")
    parser.add_argument("--skip", action="append", help="leave out the pages whose label contains this text")
    parser.add_argument("--rollup", action="store_true", help="roll the year's KPIs up before timing")
    parser.add_argument("--generate-only", action="store_true", help="generate (with --keep), time nothing")
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="hotline-bench-reports-"))
    if args.url:
        url, drop = args.url, (lambda: None)
    elif args.database == "postgresql":
        url, drop = pg_database()
    else:
        url, drop = f"sqlite:///{run_dir / 'hotline.db'}", (lambda: None)
    if args.keep:
        drop = lambda: print(f"kept: {url}")  # noqa: E731
    try:
        run(url, run_dir, args)
    finally:
        drop()


def run(url: str, run_dir: Path, args) -> None:
    from sqlalchemy import text

    from db.migrate import upgrade
    from db.seed import seed
    from db.seed_users import seed_users
    from db.session import make_engine, make_session_factory, session_scope
    from hotline.config import Settings
    from reports.history import generate
    from web import create_app

    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    if args.url:
        from db.models import User
        passwords = {}
        with session_scope(factory) as s:  # fresh passwords for the bench's two logins
            for username in LOGINS.values():
                passwords[username] = secrets.token_urlsafe(12)
                s.query(User).filter_by(username=username).one().set_password(passwords[username])
    else:
        with session_scope(factory) as s:
            seed(s)
            passwords = seed_users(s)
        started = time.perf_counter()
        with session_scope(factory) as s:
            report = generate(s, year=2025, scale=args.scale)
        generated = time.perf_counter() - started
        print(f"{args.database}: {report.tickets:,} tickets, {report.calls:,} calls generated in {generated:.0f} s",
              flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    if getattr(args, "rollup", False):
        import datetime as dt

        from kpis.rollup_build import roll_range
        started = time.perf_counter()
        done = roll_range(factory, dt.date(2025, 1, 1), dt.date(2025, 12, 31), "Asia/Shanghai")
        print(f"roll-up of 2025: {done} in {time.perf_counter() - started:.1f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
    engine.dispose()
    if args.generate_only:
        return

    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(run_dir / "run"), "DATABASE_URL": url,
                                  "HOTLINE_REDIS_PREFIX": f"hlbench-{secrets.token_hex(3)}:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True, "TICKET_EFFECTS": "off"})
    clients = {}
    for role, username in LOGINS.items():
        c = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
        assert c.post("/login", data={"username": username, "password": passwords[username],
                                      "csrf_token": token}).status_code == 302
        clients[role] = c
    worst = 0.0
    print("| page | p50 ms | p95 ms | rows |\n|---|---:|---:|---:|")
    for role, what, path in PAGES:
        if (args.only and not any(text in what for text in args.only)) or \
                (args.skip and any(text in what for text in args.skip)):
            continue
        client = clients[role]
        assert client.get(path).status_code == 200, path  # warm-up
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, path
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        total = re.search(r'data-total="(\d+)"', response.get_data(as_text=True))
        worst = max(worst, p95)
        print(f"| {what} | {statistics.median(times):.0f} | {p95:.0f} | {int(total.group(1)):,} |" if total
              else f"| {what} | {statistics.median(times):.0f} | {p95:.0f} | |")
    print(f"worst p95: {worst:.0f} ms")


if __name__ == "__main__":
    main()
