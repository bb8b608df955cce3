"""`hotline`: the one entry point to set up, run, inspect and test-call the hotline."""
from __future__ import annotations

import json
import logging
import sys

import click

from hotline.config import Settings
from hotline.errors import HotlineError


def _settings() -> Settings:
    return Settings.from_env()


def _session_factory(settings: Settings):
    from db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(settings.database_url))


class HotlineGroup(click.Group):
    """Prints a HotlineError as its problem and fix, never as a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HotlineError as e:
            click.secho(f"error: {e.problem}", fg="red", err=True)
            if e.fix:
                click.echo(f"  fix: {e.fix}", err=True)
            sys.exit(1)


@click.group(cls=HotlineGroup)
def main() -> None:
    """12345 government service hotline: Asterisk + Python call centre."""


# --- Asterisk ------------------------------------------------------------------
@main.group()
def asterisk() -> None:
    """The hotline PBX and the carrier simulator (two Asterisk 22 instances)."""


def _instances(settings: Settings, *, build: bool = False):
    from hotline.asterisk import binary, render

    return render.instances(settings, binary.locate(settings.asterisk_root, build=build))


@asterisk.command("provision")
def asterisk_provision() -> None:
    """Make sure an Asterisk 22 is available (PATH, or build the cached sandbox root)."""
    from hotline.asterisk import binary

    b = binary.locate(_settings().asterisk_root, build=True)
    click.echo(f"{b.version()} ({'system' if b.root is None else b.root})")


@asterisk.command("render")
def asterisk_render() -> None:
    """Render asterisk_conf/ from the database into the run folder."""
    from hotline.runtime import render_asterisk

    settings = _settings()
    for inst in render_asterisk(settings, _instances(settings)):
        click.echo(f"{inst.name}: {inst.etc_dir}")


@asterisk.command("up")
def asterisk_up() -> None:
    """Render the configuration and start both instances."""
    from hotline.runtime import start_asterisk

    for name, pid, started in start_asterisk(_settings()):
        click.echo(f"asterisk-{name}: {'started' if started else 'already running'} (pid {pid})")


@asterisk.command("down")
def asterisk_down() -> None:
    """Stop both instances."""
    settings = _settings()
    for inst in _instances(settings):
        click.echo(f"asterisk-{inst.name}: {'stopped' if inst.stop() else 'not running'}")
    from hotline.asterisk.binary import locate
    locate(settings.asterisk_root).unexpose(settings.run_dir)


@asterisk.command("status")
def asterisk_status() -> None:
    """Say which instance runs."""
    for inst in _instances(_settings()):
        pid = inst.pid()
        click.echo(f"asterisk-{inst.name}: " + (f"running (pid {pid})" if pid else "stopped"))


@asterisk.command("cli")
@click.argument("command")
@click.option("--instance", type=click.Choice(["pbx", "carrier"]), default="pbx", show_default=True)
def asterisk_cli(command: str, instance: str) -> None:
    """Run one Asterisk CLI COMMAND, e.g. `hotline asterisk cli "queue show 12345"`."""
    pbx, carrier = _instances(_settings())
    click.echo((pbx if instance == "pbx" else carrier).cli(command), nl=False)


# --- database --------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from db.migrate import current_revision, upgrade

    settings = _settings()
    settings.ensure_dirs()
    upgrade(settings.database_url, revision)
    click.echo(f"database at revision {current_revision(settings.database_url)}")


@main.command()
def seed() -> None:
    """Load the demo data: 12345, the national lines, local numbers, departments, queues, agents."""
    from db.seed import seed as run_seed
    from db.session import session_scope

    from db.seed_users import seed_users

    settings = _settings()
    with session_scope(_session_factory(settings)) as session:
        report = run_seed(session)
        passwords = seed_users(session)
    report["users"] = {"created": len(passwords)}
    click.echo(json.dumps(report, ensure_ascii=False))
    if passwords:
        path = _append_credentials(settings, passwords)
        click.echo(f"web logins created; their passwords are in {path} (shown once, keep it private)")


def _append_credentials(settings: Settings, passwords: dict[str, str]):
    import os

    settings.ensure_dirs()
    path = settings.run_dir / "demo-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        for username, password in passwords.items():
            f.write(f"{username}\t{password}\n")
    return path


@main.group()
def user() -> None:
    """Web panel logins."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "reviewer", "clerk", "supervisor", "admin"]), required=True)
@click.option("--name", "display_name", default=None, help="display name (default: the username)")
@click.option("--department", default=None, help="department code, for clerks")
@click.option("--agent", "agent_number", default=None, help="agent work number, for agents")
def user_add(username: str, role: str, display_name: str | None, department: str | None,
             agent_number: str | None) -> None:
    """Create a login; prints its generated password once."""
    from db.models import Agent, Department, Role, User
    from db.seed_users import new_password
    from db.session import session_scope

    settings = _settings()
    with session_scope(_session_factory(settings)) as session:
        if session.query(User).filter_by(username=username).one_or_none():
            raise HotlineError(f"user {username} exists", f"`hotline user passwd {username}` sets a new password")
        u = User(username=username, display_name=display_name or username, role=Role(role))
        if role == "clerk":
            if not department:
                raise HotlineError("a clerk belongs to a department", "pass --department CODE")
            u.department = session.query(Department).filter_by(code=department).one_or_none()
            if u.department is None:
                raise HotlineError(f"there is no department {department!r}")
        if agent_number:
            u.agent = session.query(Agent).filter_by(number=agent_number).one_or_none()
            if u.agent is None:
                raise HotlineError(f"there is no agent {agent_number!r}")
        password = new_password()
        u.set_password(password)
        session.add(u)
    click.echo(f"{username}\t{password}")


@user.command("passwd")
@click.argument("username")
def user_passwd(username: str) -> None:
    """Give USERNAME a new generated password; prints it once."""
    from db.models import User
    from db.seed_users import new_password
    from db.session import session_scope

    with session_scope(_session_factory(_settings())) as session:
        u = session.query(User).filter_by(username=username).one_or_none()
        if u is None:
            raise HotlineError(f"there is no user {username!r}")
        password = new_password()
        u.set_password(password)
    click.echo(f"{username}\t{password}")


# --- the whole system ---------------------------------------------------------------
@main.command()
def up() -> None:
    """Start everything in the background: Asterisk ×2, FastAGI, AMI listener, rq worker, web."""
    from hotline.runtime import system_up

    system_up(_settings(), echo=click.echo)


@main.command()
def down() -> None:
    """Stop everything `hotline up` started."""
    from hotline.runtime import system_down

    system_down(_settings(), echo=click.echo)


@main.command()
def status() -> None:
    """Say what runs and what does not (exit code 1 when something is down)."""
    from hotline.runtime import system_status

    rows = system_status(_settings())
    width = max(len(r[0]) for r in rows)
    for name, ok, detail in rows:
        click.echo(f"{name:<{width}}  {'running' if ok else 'DOWN   '}  {detail}")
    sys.exit(0 if all(r[1] for r in rows) else 1)


@main.command()
@click.argument("number")
@click.option("--from", "caller", default="13800138000", show_default=True, help="the citizen's number")
@click.option("--dtmf", default="", help="keys to press after the answer (w = half-second pause)")
@click.option("--dtmf-delay", default=2.0, show_default=True, help="seconds after the answer before the keys")
@click.option("--hangup-after", default=10.0, show_default=True, help="seconds before the citizen hangs up")
def call(number: str, caller: str, dtmf: str, dtmf_delay: float, hangup_after: float) -> None:
    """Place a real SIP call to NUMBER from the carrier simulator; print the call record as JSON."""
    from hotline.citizen_call import CitizenCall, place_call

    settings = _settings()
    record = place_call(settings, _session_factory(settings),
                        CitizenCall(number=number, caller=caller, dtmf=dtmf, dtmf_delay=dtmf_delay,
                                    hangup_after=hangup_after))
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@main.command()
@click.argument("agent", default="1001")
def softphone(agent: str) -> None:
    """Print the web address and the SIP settings for AGENT's softphone (工号, default 1001)."""
    from db.repositories import agents as agent_repo

    settings = _settings()
    with _session_factory(settings)() as session:
        found = agent_repo.by_number(session, agent)
        if found is None:
            raise HotlineError(f"there is no agent {agent}", "`hotline seed` loads the demo agents 1001-1004")
        host = settings.sip_bind if settings.sip_bind != "0.0.0.0" else "<this machine's address>"
        click.echo(f"web panel:  http://{settings.bind_host}:{settings.ports.web}/")
        click.echo(f"softphone for agent {found.number} {found.name}:")
        click.echo(f"  SIP server   {host}:{settings.ports.sip} (UDP)")
        click.echo(f"  username     {found.sip_username}")
        click.echo(f"  password     {found.sip_secret}")
        click.echo("  codecs       G.711 A-law / u-law, DTMF RFC 4733")
        if settings.softphones == "all":
            click.echo("  note: the carrier simulator registers every demo agent; start with "
                       f"HOTLINE_SOFTPHONES=none (or a list without {found.number}) to use your own phone")


# --- voice prompts (提示音) ---------------------------------------------------------------
@main.group()
def prompts() -> None:
    """Voice prompts: generated from ivr/prompts/*.yaml (espeak-ng + sox); recorded files win."""


@prompts.command("build")
@click.option("--force", is_flag=True, help="remake every generated prompt (recorded files are still kept)")
def prompts_build(force: bool) -> None:
    """Write every prompt as 8 kHz wav into the run folder's prompts/<lang>/."""
    from ivr.prompts import build, missing

    settings = _settings()
    report = build(settings, force=force)
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    click.echo(f"{settings.prompts_dir}: {report.summary()}")
    gaps = missing(settings)
    if gaps:
        raise HotlineError(f"prompts still missing: {', '.join(gaps)}", "add their texts to ivr/prompts/<lang>.yaml")


@prompts.command("check")
def prompts_check() -> None:
    """Say whether every prompt the menus, the inbound path and the queues play exists (exit 1 if not)."""
    from ivr.prompts import missing

    gaps = missing(_settings())
    for gap in gaps:
        click.echo(f"missing: {gap}")
    click.echo("all prompts present" if not gaps else f"{len(gaps)} prompt(s) missing")
    sys.exit(1 if gaps else 0)


# --- agents (坐席): log in/out and pause through the AMI listener -------------------------------
@main.group()
def agents() -> None:
    """Agents' queue sessions: log in/out, pause with a reason (break, training, meeting, wrapup)."""


def _agent_command(action: str, numbers: tuple[str, ...], **args) -> None:
    from hotline.redis_conn import redis_client
    from queue_logic.commands import send_command
    from queue_logic.keys import Keys

    settings = _settings()
    client, keys = redis_client(settings, check=True), Keys(settings.redis_prefix)
    for number in numbers:
        reply = send_command(client, keys, action, agent=number, **args)
        click.echo(f"{number}: {action} ok" + (f" ({', '.join(reply['queues'])})" if reply.get("queues") else ""))


def _all_agent_numbers() -> tuple[str, ...]:
    from queue_logic.directory import load_directory

    with _session_factory(_settings())() as session:
        return tuple(n for n, a in sorted(load_directory(session).agents.items()) if a.queues)


@agents.command("login")
@click.argument("numbers", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="every active agent that belongs to a queue")
def agents_login(numbers: tuple[str, ...], everyone: bool) -> None:
    """Log agents (工号) into their queues, with their penalties."""
    _agent_command("login", _all_agent_numbers() if everyone else numbers)


@agents.command("logout")
@click.argument("numbers", nargs=-1)
@click.option("--all", "everyone", is_flag=True)
def agents_logout(numbers: tuple[str, ...], everyone: bool) -> None:
    """Log agents out of every queue."""
    _agent_command("logout", _all_agent_numbers() if everyone else numbers)


@agents.command("pause")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--reason", type=click.Choice(["break", "training", "meeting", "wrapup"]), default="break",
              show_default=True)
def agents_pause(numbers: tuple[str, ...], reason: str) -> None:
    """示忙: no queue call is offered until unpaused."""
    _agent_command("pause", numbers, reason=reason)


@agents.command("unpause")
@click.argument("numbers", nargs=-1, required=True)
def agents_unpause(numbers: tuple[str, ...]) -> None:
    """示闲."""
    _agent_command("unpause", numbers)


@agents.command("supervisor-phone")
@click.argument("username", default="supervisor")
def agents_supervisor_phone(username: str) -> None:
    """The SIP settings of a supervisor's own phone (listen / whisper / barge ring it)."""
    from queue_logic.supervisor_phones import supervisor_phones

    settings = _settings()
    with _session_factory(settings)() as session:
        phone = next((p for p in supervisor_phones(settings, session) if p["username"] == username), None)
    if phone is None:
        raise HotlineError(f"{username} is no active supervisor", "`hotline user add NAME --role supervisor`")
    host = settings.sip_bind if settings.sip_bind != "0.0.0.0" else "<this machine's address>"
    click.echo(f"phone of supervisor {username}:")
    click.echo(f"  SIP server   {host}:{settings.ports.sip} (UDP)")
    click.echo(f"  username     {phone['sip_username']}")
    click.echo(f"  password     {phone['sip_secret']}")
    click.echo("  auto-answer  recommended (calls to it are the supervisor's own listen / whisper / barge)")
    click.echo("  a supervisor added later needs `hotline asterisk up` to render the phone into the PBX")


@agents.command("status")
def agents_status() -> None:
    """Every agent's live state, as the wallboard shows it."""
    import time

    from hotline.redis_conn import redis_client
    from queue_logic.keys import Keys
    from queue_logic.snapshot import today, wallboard_snapshot

    settings = _settings()
    snap = wallboard_snapshot(redis_client(settings, check=True), Keys(settings.redis_prefix),
                              today(settings.timezone))
    if not snap["listener"]["connected"]:
        click.secho("warning: the AMI listener is not connected; states may be stale", fg="yellow", err=True)
    for a in snap["agents"]:
        since = time.strftime("%H:%M:%S", time.localtime(a["since"])) if a["since"] else "-"
        line = f"  line {a['call_line']} {a['call_line_name']}".rstrip() if a.get("call_uniqueid") else ""
        click.echo(f"{a['number']:<6} {a['name']:<16} {a['state']:<10} {a['reason']:<9} since {since}"
                   f"  queues {a['queues'] or '-'}{line}")


# --- the services themselves (run in the foreground; `hotline up` runs them detached) ---
@main.group()
def agi() -> None:
    """FastAGI server."""


@agi.command("serve")
def agi_serve() -> None:
    """Serve the dialplan's AGI requests (foreground)."""
    from hotline.runtime import serve_agi

    _logging()
    serve_agi(_settings())


@main.group()
def ami() -> None:
    """AMI listener."""


@ami.command("listen")
def ami_listen() -> None:
    """Keep live queue state in Redis from AMI events (foreground)."""
    from queue_logic.ami_listener import main as listen

    _logging()
    listen(_settings())


@main.command()
def worker() -> None:
    """rq worker with the scheduler (foreground)."""
    from hotline.jobs import run_worker

    _logging()
    run_worker(_settings())


@main.group()
def web() -> None:
    """Web panel."""


@web.command("serve")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
def web_serve(dev: bool) -> None:
    """Serve the web panel (foreground; gunicorn with threads, for the live streams)."""
    import os

    settings = _settings()
    if dev:
        from web import create_app
        create_app().run(host=settings.bind_host, port=settings.ports.web)
        return
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "16",
                              "--workers", "2", "--bind", f"{settings.bind_host}:{settings.ports.web}",
                              "--graceful-timeout", "3",  # open SSE streams must not hold a stop
                              "--access-logfile", "-", "web:create_app()"])


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


if __name__ == "__main__":
    main()
