"""`hotline asterisk …`: the two Asterisk 22 instances (PBX and carrier simulator)."""
from __future__ import annotations

import click

from hotline.config import Settings
from ops.cli import common


@click.group()
def asterisk() -> None:
    """The hotline PBX and the carrier simulator (two Asterisk 22 instances)."""


def _instances(settings: Settings, *, build: bool = False):
    from ops.asterisk import binary, render

    return render.instances(settings, binary.locate(settings.asterisk_root, build=build))


@asterisk.command("provision")
def asterisk_provision() -> None:
    """Make sure an Asterisk 22 is available (PATH, or build the cached sandbox root)."""
    from ops.asterisk import binary

    b = binary.locate(common.settings().asterisk_root, build=True)
    click.echo(f"{b.version()} ({'system' if b.root is None else b.root})")


@asterisk.command("render")
def asterisk_render() -> None:
    """Render asterisk_conf/ from the database into the run folder."""
    from ops.runtime import render_asterisk

    settings = common.settings()
    for inst in render_asterisk(settings, _instances(settings)):
        click.echo(f"{inst.name}: {inst.etc_dir}")


@asterisk.command("up")
def asterisk_up() -> None:
    """Render the configuration and start both instances."""
    from ops.runtime import start_asterisk

    for name, pid, started in start_asterisk(common.settings()):
        click.echo(f"asterisk-{name}: {'started' if started else 'already running'} (pid {pid})")


@asterisk.command("guard")
def asterisk_guard() -> None:
    """SIP guard (foreground): block addresses that keep failing SIP authentication."""
    from ops.asterisk.sip_guard import main

    common.setup_logging()
    settings = common.settings()
    main(settings, _instances(settings)[0].etc_dir)


@asterisk.command("unblock")
@click.argument("address")
def asterisk_unblock(address: str) -> None:
    """Lift the SIP guard's block of ADDRESS (the guard applies it within a second)."""
    import ipaddress

    from hotline.redis_conn import redis_client
    from ops.asterisk.sip_guard import SipGuard

    try:
        address = str(ipaddress.ip_address(address))
    except ValueError:
        raise click.BadParameter(f"{address!r} is not an IP address") from None
    settings = common.settings()
    guard = SipGuard(settings, redis_client(settings, check=True), _instances(settings)[0].etc_dir)
    click.echo(f"{address}: {'unblocked' if guard.unblock(address) else 'was not blocked'}")


@asterisk.command("down")
def asterisk_down() -> None:
    """Stop both instances."""
    settings = common.settings()
    for inst in _instances(settings):
        click.echo(f"asterisk-{inst.name}: {'stopped' if inst.stop() else 'not running'}")
    from ops.asterisk.binary import locate
    locate(settings.asterisk_root).unexpose(settings.run_dir)


@asterisk.command("status")
def asterisk_status() -> None:
    """Say which instance runs."""
    for inst in _instances(common.settings()):
        pid = inst.pid()
        click.echo(f"asterisk-{inst.name}: " + (f"running (pid {pid})" if pid else "stopped"))


@asterisk.command("cli")
@click.argument("command")
@click.option("--instance", type=click.Choice(["pbx", "carrier"]), default="pbx", show_default=True)
def asterisk_cli(command: str, instance: str) -> None:
    """Run one Asterisk CLI COMMAND, e.g. `hotline asterisk cli "queue show 12345"`."""
    pbx, carrier = _instances(common.settings())
    click.echo((pbx if instance == "pbx" else carrier).cli(command), nl=False)


COMMANDS = [asterisk]
