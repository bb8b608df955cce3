"""`hotline agents …`: agents' (坐席) queue sessions, through the AMI listener."""
from __future__ import annotations

import click

from hotline.errors import HotlineError
from ops.cli import common


@click.group()
def agents() -> None:
    """Agents' queue sessions: log in/out, pause with a reason (break, training, meeting, wrapup)."""


def _agent_command(action: str, numbers: tuple[str, ...], **args) -> None:
    from hotline.keys import Keys
    from hotline.redis_conn import redis_client
    from queue_logic.commands import send_command

    settings = common.settings()
    client, keys = redis_client(settings, check=True), Keys(settings.redis_prefix)
    for number in numbers:
        reply = send_command(client, keys, action, agent=number, **args)
        click.echo(f"{number}: {action} ok" + (f" ({', '.join(reply['queues'])})" if reply.get("queues") else ""))


def _all_agent_numbers() -> tuple[str, ...]:
    from queue_logic.directory import load_directory

    with common.session_factory(common.settings())() as session:
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

    settings = common.settings()
    with common.session_factory(settings)() as session:
        phone = next((p for p in supervisor_phones(settings, session) if p["username"] == username), None)
    if phone is None:
        raise HotlineError(f"{username} is no active supervisor", "`hotline user add NAME --role supervisor`")
    click.echo(f"phone of supervisor {username}:")
    common.echo_sip_account(settings, phone["sip_username"], phone["sip_secret"])
    click.echo("  auto-answer  recommended (calls to it are the supervisor's own listen / whisper / barge)")
    click.echo("  a supervisor added later needs `hotline asterisk up` to render the phone into the PBX")


@agents.command("status")
def agents_status() -> None:
    """Every agent's live state, as the wallboard shows it."""
    import time

    from hotline.keys import Keys
    from hotline.redis_conn import redis_client
    from queue_logic.snapshot import today, wallboard_snapshot

    settings = common.settings()
    snap = wallboard_snapshot(redis_client(settings, check=True), Keys(settings.redis_prefix),
                              today(settings.timezone))
    if not snap["listener"]["connected"]:
        click.secho("warning: the AMI listener is not connected; states may be stale", fg="yellow", err=True)
    for a in snap["agents"]:
        since = time.strftime("%H:%M:%S", time.localtime(a["since"])) if a["since"] else "-"
        line = f"  line {a['call_line']} {a['call_line_name']}".rstrip() if a.get("call_uniqueid") else ""
        click.echo(f"{a['number']:<6} {a['name']:<16} {a['state']:<10} {a['reason']:<9} since {since}"
                   f"  queues {a['queues'] or '-'}{line}")


COMMANDS = [agents]
