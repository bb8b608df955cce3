"""`hotline kpis --check`: do the call records and app_queue's own queue_log give the same figures?"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline.errors import HotlineError
from kpis.check import check, default_queue_log, report_text
from kpis.errors import InvalidInput
from kpis.period import Period
from ops.cli import common


@click.command("kpis")
@click.option("--check", "do_check", is_flag=True, required=True,
              help="compare the call KPIs from the call records with those from queue_log")
@click.option("--from", "first", default=None, help="first centre day, YYYY-MM-DD (default: today)")
@click.option("--to", "last", default=None, help="last centre day, YYYY-MM-DD (default: the first)")
@click.option("--queue-log", "queue_log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="app_queue's queue_log file (default: the PBX instance's)")
def kpis(do_check: bool, first: str | None, last: str | None, queue_log: Path | None) -> None:
    """Call figures from both sources side by side, then each call that differs and why; exit 1 if they differ."""
    settings = common.settings()
    try:
        period = Period.parse(first, last, settings.timezone, settings.local_now().date())
    except InvalidInput as bad:
        raise HotlineError(bad.message, "dates are YYYY-MM-DD in centre time, --from before --to") from None
    path = queue_log or default_queue_log(settings)
    if not path.exists():
        raise HotlineError(f"no queue_log at {path}", "start the PBX (`hotline up`) or pass --queue-log FILE")
    with common.session_factory(settings)() as session:
        result = check(session, settings, period, path)
    click.echo(report_text(result))
    if not result.agree:
        sys.exit(1)


COMMANDS = [kpis]
