"""`hotline prompts build|check`: the voice prompts (提示音)."""
from __future__ import annotations

import sys

import click

from hotline import tts
from hotline.errors import HotlineError
from ops.cli import common


@click.group()
def prompts() -> None:
    """Voice prompts: generated from ivr/prompts/*.yaml (espeak-ng + sox); recorded files win."""


@prompts.command("build")
@click.option("--force", is_flag=True, help="remake every generated prompt (recorded files are still kept)")
def prompts_build(force: bool) -> None:
    """Write every prompt as 8 kHz wav into the run folder's prompts/<lang>/."""
    from db.session import session_scope
    from ivr.department_prompts import all_texts
    from ivr.prompts import build, missing

    tts.check_tools()   # the tools first: a machine without espeak-ng/sox is told so, database or not
    settings = common.settings()
    with session_scope(common.session_factory(settings)) as session:
        texts = all_texts(session)   # shipped texts + one name prompt per department (dept-<code>)
    report = build(settings, force=force, texts=texts)
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

    gaps = missing(common.settings())
    for gap in gaps:
        click.echo(f"missing: {gap}")
    click.echo("all prompts present" if not gaps else f"{len(gaps)} prompt(s) missing")
    sys.exit(1 if gaps else 0)


COMMANDS = [prompts]
