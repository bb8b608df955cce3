"""`hotline kpis --check` (call records against app_queue's queue_log) and `hotline kpis rollup` (指标汇总)."""
from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click

from hotline.errors import HotlineError
from kpis.check import check, default_queue_log, report_text
from kpis.errors import InvalidInput
from kpis.period import Period
from ops.cli import common


@click.group("kpis", invoke_without_command=True)
@click.option("--check", "do_check", is_flag=True,
              help="compare the call KPIs from the call records with those from queue_log")
@click.option("--from", "first", default=None, help="first centre day, YYYY-MM-DD (default: today)")
@click.option("--to", "last", default=None, help="last centre day, YYYY-MM-DD (default: the first)")
@click.option("--queue-log", "queue_log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="app_queue's queue_log file (default: the PBX instance's)")
@click.pass_context
def kpis(ctx: click.Context, do_check: bool, first: str | None, last: str | None, queue_log: Path | None) -> None:
    """--check: call figures from both sources side by side, then each call that differs and why; exit 1 if
    they differ. `rollup`: recompute the KPI roll-up tables."""
    if ctx.invoked_subcommand is not None:
        return
    if not do_check:
        raise click.UsageError("say what to do: `hotline kpis --check [--from --to]` or `hotline kpis rollup`")
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


@kpis.command("rollup")
@click.option("--from", "first", default=None, help="first centre day to roll up again, YYYY-MM-DD")
@click.option("--to", "last", default=None, help="last centre day (default: yesterday; today is never rolled)")
def rollup(first: str | None, last: str | None) -> None:
    """Roll up the KPI days: without --from, what is due (changed days, days rolled with other settings,
    yesterday); with --from/--to, every day of the range, again."""
    from kpis import rollup_build as rollups

    settings = common.settings()
    today = settings.local_now().date()
    started = time.perf_counter()
    if first is None and last is None:
        done = rollups.roll_due(common.session_factory(settings), settings.timezone)
    else:
        try:
            period = Period.parse(first, last or (today - dt.timedelta(days=1)).isoformat(), settings.timezone,
                                  today)
        except InvalidInput as bad:
            raise HotlineError(bad.message, "dates are YYYY-MM-DD in centre time, --from before --to") from None
        done = rollups.roll_range(common.session_factory(settings), period.first, period.last, settings.timezone)
    click.echo(", ".join(f"{family}: {days} days rolled up" for family, days in done.items())
               + f" in {time.perf_counter() - started:.1f} s")


COMMANDS = [kpis]
