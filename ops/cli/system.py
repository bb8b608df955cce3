"""`hotline up|down|status`, `hotline call`, `hotline softphone`: the whole system and a test call."""
from __future__ import annotations

import json
import sys

import click

from hotline.errors import HotlineError
from ops.cli import common


@click.command()
def up() -> None:
    """Start everything in the background: Asterisk ×2, FastAGI, AMI listener, rq worker, demo department, web."""
    from ops.runtime import system_up

    system_up(common.settings(), echo=click.echo)


@click.command()
def down() -> None:
    """Stop everything `hotline up` started."""
    from ops.runtime import system_down

    system_down(common.settings(), echo=click.echo)


@click.command()
def status() -> None:
    """Say what runs and what does not (exit code 1 when something is down)."""
    from ops.runtime import system_status

    rows = system_status(common.settings())
    width = max(len(r[0]) for r in rows)
    for name, ok, detail in rows:
        click.echo(f"{name:<{width}}  {'running' if ok else 'DOWN   '}  {detail}")
    sys.exit(0 if all(r[1] for r in rows) else 1)


@click.command()
@click.argument("number")
@click.option("--from", "caller", default="13800138000", show_default=True, help="the citizen's number")
@click.option("--dtmf", default="", help="keys to press after the answer (w = half-second pause)")
@click.option("--dtmf-delay", default=2.0, show_default=True, help="seconds after the answer before the keys")
@click.option("--hangup-after", default=10.0, show_default=True, help="seconds before the citizen hangs up")
@click.option("--rating", default="", help="keys the citizen presses for the rating after the agent hangs up")
@click.option("--rating-delay", default=0.0, show_default=True,
              help="seconds after the keys (or the answer) before the rating keys")
@click.option("--speak", default=0.0, show_default=True,
              help="seconds the citizen speaks (a tone) after the keys, e.g. a voicemail")
@click.option("--speak-delay", default=0.0, show_default=True, help="seconds after the keys before speaking")
def call(number: str, caller: str, dtmf: str, dtmf_delay: float, hangup_after: float, rating: str,
         rating_delay: float, speak: float, speak_delay: float) -> None:
    """Place a real SIP call to NUMBER from the carrier simulator; print the call record as JSON."""
    from ops.citizen_call import CitizenCall, place_call

    settings = common.settings()
    record = place_call(settings, common.session_factory(settings),
                        CitizenCall(number=number, caller=caller, dtmf=dtmf, dtmf_delay=dtmf_delay,
                                    hangup_after=hangup_after, rating=rating, rating_delay=rating_delay,
                                    speak=speak, speak_delay=speak_delay))
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@click.command()
@click.argument("agent", default="1001")
def softphone(agent: str) -> None:
    """Print the web address and the SIP settings for AGENT's softphone (工号, default 1001)."""
    from db.repositories import agents as agent_repo

    settings = common.settings()
    with common.session_factory(settings)() as session:
        found = agent_repo.by_number(session, agent)
        if found is None:
            raise HotlineError(f"there is no agent {agent}", "`hotline seed` loads the demo agents 1001-1004")
        click.echo(f"web panel:  http://{settings.bind_host}:{settings.ports.web}/")
        click.echo(f"softphone for agent {found.number} {found.name}:")
        common.echo_sip_account(settings, found.sip_username, found.sip_secret)
        click.echo("  codecs       G.711 A-law / u-law, DTMF RFC 4733")
        if settings.softphones == "all":
            click.echo("  note: the carrier simulator registers every demo agent; start with "
                       f"HOTLINE_SOFTPHONES=none (or a list without {found.number}) to use your own phone")


COMMANDS = [up, down, status, call, softphone]
