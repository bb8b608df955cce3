"""`hotline`: the one entry point to set up, run, inspect and test-call the hotline.

One module per command group; this one only assembles them and turns a
``HotlineError`` into its problem and fix.
"""
from __future__ import annotations

import sys

import click

from hotline.errors import HotlineError
from ops.cli import agents, asterisk, config, data, kpis, load, prompts, security, services, suggest, system


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


for group in (asterisk, data, system, prompts, agents, kpis, security, services, suggest, config, load):
    for command in group.COMMANDS:
        main.add_command(command)
