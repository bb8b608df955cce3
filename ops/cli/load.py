"""`hotline load run`: a load test (压力测试) with sipp callers and agents and SSE screens (ops/load/)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from hotline.errors import HotlineError
from ops.cli import common


def _range(text: str, what: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split("-", 1))
    except ValueError:
        raise click.BadParameter(f"{what} is MIN-MAX in seconds, e.g. 30-240, not {text!r}") from None
    if low < 0 or low > high:
        raise click.BadParameter(f"{what} {text!r}: need 0 <= MIN <= MAX")
    return low, high


def _curve(text: str) -> tuple[tuple[float, float], ...]:
    if not text:
        return ()
    try:
        points = tuple((float(x), float(y)) for x, y in (p.split(":") for p in text.split(",")))
    except ValueError:
        raise click.BadParameter(f"--curve is FRACTION:FACTOR,... e.g. 0:0.3,0.4:1,1:0.3, not {text!r}") from None
    if any(not 0 <= x <= 1 or y < 0 for x, y in points):
        raise click.BadParameter("--curve: fractions between 0 and 1, factors >= 0")
    return points


def _login(user: str, variable: str) -> tuple[str, str]:
    if not user:
        return "", ""
    password = os.environ.get(variable, "")
    if not password:
        raise HotlineError(f"no password for {user}", f"export {variable}=... (kept out of the command line)")
    return user, password


@click.group("load")
def load() -> None:
    """Load tests against this installation (needs HOTLINE_LOAD_TRUNK_PORT)."""


@load.command("run")
@click.option("--rate", type=float, default=1.0, show_default=True, help="calls offered per second (Poisson mean)")
@click.option("--seconds", type=float, default=60.0, show_default=True, help="how long calls are offered")
@click.option("--agents", "agent_count", type=int, default=100, show_default=True, help="simulated agents")
@click.option("--queue", default="12345", show_default=True, help="the queue the load agents serve")
@click.option("--number", default="12345", show_default=True, help="the number the citizens dial")
@click.option("--patience", type=float, default=60.0, show_default=True, help="mean extra patience, s (exponential)")
@click.option("--patience-min", type=float, default=10.0, show_default=True, help="least patience, s")
@click.option("--patience-max", type=float, default=0.0, help="most patience, s (0: min + 6 x mean)")
@click.option("--ring", default="1-4", show_default=True, help="agents answer after MIN-MAX s of ringing")
@click.option("--talk", default="30-240", show_default=True, help="agents talk MIN-MAX s (uniform)")
@click.option("--curve", default="", help="a compressed day: FRACTION:FACTOR,... of the rate")
@click.option("--wallboards", type=int, default=0, help="wallboard streams to open")
@click.option("--agent-screens", type=int, default=0, help="agent workspaces to open (their one stream each)")
@click.option("--web", "web_url", default="", help="the panel, e.g. http://127.0.0.1:8000")
@click.option("--supervisor", default="", help="login for the wallboards (password: $HOTLINE_LOAD_SUPERVISOR_PASSWORD)")
@click.option("--agent-user", default="", help="login for agent screens (password: $HOTLINE_LOAD_AGENT_PASSWORD)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="also write the report here (JSON)")
def run_cmd(rate, seconds, agent_count, queue, number, patience, patience_min, patience_max, ring, talk, curve, wallboards,
            agent_screens, web_url, supervisor, agent_user, out) -> None:
    """Offer calls for SECONDS at RATE to AGENTS simulated agents; print the report (JSON)."""
    from ops.load.run import LoadPlan, run

    settings = common.settings()
    plan = LoadPlan(rate=rate, seconds=seconds, agents=agent_count, queue=queue, service=number,
                    patience_mean_s=patience, patience_min_s=patience_min,
                    patience_max_s=patience_max, ring_s=_range(ring, "--ring"),
                    talk_s=_range(talk, "--talk"), curve=_curve(curve), wallboards=wallboards,
                    agent_screens=agent_screens, web_url=web_url,
                    supervisor_login=_login(supervisor, "HOTLINE_LOAD_SUPERVISOR_PASSWORD"),
                    agent_login=_login(agent_user, "HOTLINE_LOAD_AGENT_PASSWORD"))
    result = run(settings, plan, settings.run_dir / "load", echo=lambda m: click.echo(m, err=True))
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if out:
        out.write_text(text + "\n")
    click.echo(text)


COMMANDS = [load]
