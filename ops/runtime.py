"""Bringing the whole installation up and down, and saying what runs.

Order matters: database first (the Asterisk configuration is rendered from it),
then Asterisk (the FastAGI server is useless without it, but the dialplan's
fallback makes Asterisk useful without Python), then the Python services.
"""
from __future__ import annotations

from typing import Callable

from db.session import session_factory_for
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.logs import secure_log_files
from ops import services
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


def serve_agi(settings: Settings) -> None:
    import signal
    import threading

    from agi.handlers import HANDLERS
    from agi.server import FastAgiServer
    from ops import config_watch

    server = FastAgiServer("127.0.0.1", settings.ports.agi, HANDLERS, session_factory_for(settings.database_url))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    config_watch.start(settings, stop)   # configuration changes: new snapshot at once, Asterisk reloaded
    server.start_in_thread()
    stop.wait()
    server.shutdown()


def system_up(settings: Settings, echo: Callable[[str], None] = print) -> None:
    from db.migrate import upgrade
    from hotline.redis_conn import redis_client

    settings.ensure_dirs()
    redis_client(settings, check=True)
    upgrade(settings.database_url)
    for name, pid, started in start_asterisk(settings):
        echo(f"asterisk-{name:<8} {'started' if started else 'running'} (pid {pid})")
    for svc in services.python_services(settings):
        pid, started = services.start(settings, svc)
        echo(f"{svc.name:<17} {'started' if started else 'running'} (pid {pid})  {svc.description}")
    from queue_logic.agent_sessions import login_simulated_agents
    echo(login_simulated_agents(settings, session_factory_for(settings.database_url)))
    echo(f"logs and pid files: {settings.run_dir}")


def system_down(settings: Settings, echo: Callable[[str], None] = print) -> None:
    for svc in reversed(services.python_services(settings)):
        echo(f"{svc.name:<17} {'stopped' if services.stop(settings, svc.name) else 'not running'}")
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
    for svc in services.python_services(settings):
        pid = services.pid_of(settings, svc.name)
        ok = pid is not None
        if ok and svc.name == "agi":
            ok = services.agi_answers(settings.ports.agi)
        rows.append((svc.name, ok, f"pid {pid}, {svc.description}" if pid else svc.description))
    rows.append(("redis", _redis_ok(settings), settings.redis_url))
    rows.append(("database", _db_ok(settings), _redact(settings.database_url)))
    return rows


def _redis_ok(settings: Settings) -> bool:
    from hotline.redis_conn import redis_client

    try:
        return bool(redis_client(settings).ping())
    except Exception:
        return False


def _db_ok(settings: Settings) -> bool:
    from sqlalchemy import text

    try:
        with session_factory_for(settings.database_url)() as s:
            s.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
