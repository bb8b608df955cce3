"""Bringing the whole installation up and down, and saying what runs.

Order matters: database first (the Asterisk configuration is rendered from it),
then Asterisk (the FastAGI server is useless without it, but the dialplan's
fallback makes Asterisk useful without Python), then the Python services.
"""
from __future__ import annotations

import logging
from typing import Callable

from db.session import session_factory_for
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.logs import secure_log_files
from ops import cpu_class, services
from ops.asterisk import binary, render
from ops.asterisk.instance import AsteriskInstance


def render_asterisk(settings: Settings, instances: tuple[AsteriskInstance, AsteriskInstance]):
    from db.session import session_scope
    from hotline.media import ensure_hold_music
    from ivr.prompts import build as build_prompts

    settings.ensure_dirs()
    ensure_hold_music(settings.moh_dir)
    from ivr.department_prompts import all_texts

    with session_scope(session_factory_for(settings.database_url)) as session:
        texts = all_texts(session)   # the department names are prompts too (工单查询)
    build_prompts(settings, texts=texts)  # before rendering: the sounds folder links what exists (fast when built)
    with session_scope(session_factory_for(settings.database_url)) as session:
        agents, queues = render.agents_and_queues(session)
        supervisors = render.supervisor_phones(settings, session)
    pbx, carrier = instances
    pbx.render(render.pbx_context(settings, agents, queues, supervisors))
    carrier.render(render.carrier_context(settings, agents, settings.softphones, supervisors))
    return instances


def start_asterisk(settings: Settings) -> list[tuple[str, int, bool]]:
    instances = render.instances(settings, binary.locate(settings.asterisk_root, build=True))
    render_asterisk(settings, instances)
    results = []
    for inst in instances:
        running = inst.is_running()
        if running:
            inst.reload()  # pick up the freshly rendered configuration
        results.append((inst.name, inst.start(), not running))
    secure_log_files(settings.log_dir)   # Asterisk's own logs hold callers' numbers: 0640
    return results


def serve_agi(settings: Settings, *, warm: bool = True) -> None:
    import signal
    import threading

    from agi.handlers import HANDLERS
    from agi.server import FastAgiServer
    from db.session import make_engine, make_session_factory
    from ops import config_watch

    # the call path's engine gives up after ~1 s: the dialplan's fallback then carries the caller on
    engine = make_engine(settings.database_url, call_path=True)
    if settings.agi_timing:              # the "AGI timing" line says how much of a handler was the database
        from db import time_spent

        time_spent.install(engine)
    session_factory = make_session_factory(engine)
    server = FastAgiServer("127.0.0.1", settings.ports.agi, HANDLERS, session_factory, timing=settings.agi_timing)
    cpu_class.enter_realtime(settings.agi_realtime_priority)   # bound, no thread yet: every thread inherits it
    if warm:   # bound, not yet serving: the first citizen's call costs what every call costs (agi/warm_up.py)
        from agi.warm_up import warm_up

        logging.getLogger("agi.warm_up").info("warm-up took %.0f ms", warm_up(session_factory) * 1000)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    config_watch.start(settings, stop)   # configuration changes: new snapshot at once, Asterisk reloaded
    server.start_in_thread()
    stop.wait()
    server.shutdown()


def system_up(settings: Settings, echo: Callable[[str], None] = print) -> None:
    from db.migrate import upgrade
    from db.presence import check_database
    from hotline.redis_conn import redis_client

    settings.ensure_dirs()
    redis_client(settings, check=True)
    try:
        check_database(settings.database_url)
    except HotlineError as e:
        if "is at revision" not in e.problem:   # missing or empty: only `db upgrade` / `seed` create it
            raise
        upgrade(settings.database_url)          # an existing database behind the code: brought to head
    for name, pid, started in start_asterisk(settings):
        echo(f"asterisk-{name:<8} {'started' if started else 'running'} (pid {pid})")
    for svc in services.python_services(settings):
        pid, started = services.start(settings, svc)
        echo(f"{svc.name:<17} {'started' if started else 'running'} (pid {pid})  {svc.description}")
    from queue_logic.agent_sessions import login_simulated_agents
    echo(login_simulated_agents(settings, session_factory_for(settings.database_url)))
    echo(f"logs: {settings.log_dir}; services supervised by supervisord ({services.supervisor_dir(settings)})")


def system_down(settings: Settings, echo: Callable[[str], None] = print) -> None:
    for svc in reversed(services.python_services(settings)):
        echo(f"{svc.name:<17} {'stopped' if services.stop(settings, svc.name) else 'not running'}")
    if services.shutdown_supervisor(settings):
        echo(f"{'supervisord':<17} stopped")
    try:
        b = binary.locate(settings.asterisk_root)
    except HotlineError:
        return
    for inst in reversed(render.instances(settings, b)):
        echo(f"asterisk-{inst.name:<8} {'stopped' if inst.stop() else 'not running'}")
    b.unexpose(settings.run_dir)


def system_status(settings: Settings) -> list[tuple[str, bool, str]]:
    rows: list[tuple[str, bool, str]] = []
    try:
        b = binary.locate(settings.asterisk_root)
        for inst in render.instances(settings, b):
            pid = inst.pid()
            rows.append((f"asterisk-{inst.name}", pid is not None,
                         f"pid {pid}, SIP udp/{inst.sip_port}, AMI 127.0.0.1:{inst.ami_port}" if pid else ""))
    except HotlineError as e:
        rows.append(("asterisk", False, e.problem))
    supervised = services.supervisor_running(settings)
    rows.append(("supervisord", supervised, str(services.supervisor_dir(settings)) if supervised else
                 "not running: `hotline up` starts it"))
    for svc in services.python_services(settings):
        rows.append((svc.name, *_service_row(settings, svc)))
    rows.append(("redis", _redis_ok(settings), settings.redis_url))
    db_ok, db_problem = _db_ok(settings)
    rows.append(("database", db_ok, _redact(settings.database_url) + (f": {db_problem}" if db_problem else "")))
    return rows


def _service_row(settings: Settings, svc: services.Service) -> tuple[bool, str]:
    """What supervisord says of the process, and whether it does its work (asked of the service itself)."""
    info = services.process_info(settings, svc.name)
    if info is None or info["statename"] != services.RUNNING:
        state = info["statename"].lower() if info else "not started"
        return False, f"{state}; {svc.description}"
    pid, uptime = info["pid"], info["now"] - info["start"]
    detail = f"pid {pid}, up {uptime}s, {svc.description}"
    if svc.name == "agi":
        if not services.agi_answers(settings.ports.agi):
            return False, f"{detail}; does not answer FastAGI"
        detail = f"{detail}; {cpu_class.describe(pid)}"
    if svc.name == "worker":
        from ops.scheduler import worker_registered
        if not worker_registered(settings, pid):
            return False, f"{detail}; not registered in Redis"
    if svc.name == "cron":
        from ops.scheduler import cron_alive
        if not cron_alive(settings, pid):
            return False, f"{detail}; no recent heartbeat in Redis"
    if svc.name == "ami":
        listener = _listener_state(settings)
        if listener is not None:
            detail = f"{detail}; {listener}"
    return True, detail


def _listener_state(settings: Settings) -> str | None:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client

    try:
        status = redis_client(settings).hgetall(Keys(settings.redis_prefix).listener_status)
    except Exception:
        return None
    return "connected to Asterisk" if status.get(b"connected") == b"1" else "not connected to Asterisk"


def _redis_ok(settings: Settings) -> bool:
    from hotline.redis_conn import redis_client

    try:
        return bool(redis_client(settings).ping())
    except Exception:
        return False


def _db_ok(settings: Settings) -> tuple[bool, str]:
    """There, with its tables, at the code's revision; never creates a missing SQLite file."""
    from db.presence import check_database

    try:
        check_database(settings.database_url)
        return True, ""
    except HotlineError as e:
        return False, e.problem
    except Exception as e:
        return False, str(e).splitlines()[0] if str(e) else e.__class__.__name__


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
