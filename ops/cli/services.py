"""`hotline agi serve`, `ami listen`, `worker`, `web serve`: each service in the foreground."""
from __future__ import annotations

import sys

import click

from ops.cli import common


@click.group()
def agi() -> None:
    """FastAGI server."""


@agi.command("serve")
def agi_serve() -> None:
    """Serve the dialplan's AGI requests (foreground)."""
    from ops.runtime import serve_agi

    common.setup_logging()
    serve_agi(common.settings())


@click.group()
def ami() -> None:
    """AMI listener."""


@ami.command("listen")
def ami_listen() -> None:
    """Keep live queue state in Redis from AMI events (foreground)."""
    from queue_logic.ami_listener import main as listen

    common.setup_logging()
    listen(common.settings())


@click.command()
def worker() -> None:
    """rq worker with the scheduler (foreground)."""
    from ops.scheduler import run_worker

    common.setup_logging()
    run_worker(common.settings())


@click.group()
def web() -> None:
    """Web panel."""


@web.command("serve")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
def web_serve(dev: bool) -> None:
    """Serve the web panel (foreground; gunicorn with threads, for the live streams)."""
    import os

    settings = common.settings()
    if dev:
        from web import create_app
        create_app().run(host=settings.bind_host, port=settings.ports.web)
        return
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "16",
                              "--workers", "2", "--bind", f"{settings.bind_host}:{settings.ports.web}",
                              "--graceful-timeout", "3",  # open SSE streams must not hold a stop
                              "--access-logfile", "-", "web:create_app()"])


COMMANDS = [agi, ami, worker, web]
