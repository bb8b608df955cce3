"""`hotline agi serve`, `ami listen`, `worker`, `cron`, `web serve`: each service in the foreground.

`hotline up` runs them under supervisord (ops.services); these commands are what it runs."""
from __future__ import annotations

import sys

import click

from ops.cli import common


@click.group()
def agi() -> None:
    """FastAGI server."""


@agi.command("serve")
@click.option("--no-warm-up", is_flag=True, help="listen at once; the first calls pay the start-up cost")
def agi_serve(no_warm_up: bool) -> None:
    """Serve the dialplan's AGI requests (foreground)."""
    from ops.runtime import serve_agi

    settings = common.settings()
    common.require_database(settings)
    common.setup_logging()
    serve_agi(settings, warm=not no_warm_up)


@click.group()
def ami() -> None:
    """AMI listener."""


@ami.command("listen")
def ami_listen() -> None:
    """Keep live queue state in Redis from AMI events (foreground)."""
    from queue_logic.ami_listener import main as listen

    settings = common.settings()
    common.require_database(settings)
    common.setup_logging()
    listen(settings)


@click.command()
def worker() -> None:
    """rq worker (foreground)."""
    from ops.scheduler import run_worker

    settings = common.settings()
    common.require_database(settings)
    common.setup_logging()
    run_worker(settings)


@click.command()
def cron() -> None:
    """rq cron scheduler: enqueues the periodic jobs (foreground)."""
    from ops.scheduler import run_cron

    common.setup_logging()
    run_cron(common.settings())


@click.group()
def web() -> None:
    """Web panel."""


@web.command("serve")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--connections", default=1000, show_default=True, help="open connections per worker (streams)")
def web_serve(dev: bool, workers: int, connections: int) -> None:
    """Serve the web panel (foreground; gunicorn with gevent workers: a live stream costs a greenlet, not a thread)."""
    import os

    settings = common.settings()
    common.require_database(settings)
    if dev:
        from web import create_app
        create_app().run(host=settings.bind_host, port=settings.ports.web, threaded=True)
        return
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "--worker-class", "gevent",
                              "--worker-connections", str(connections), "--workers", str(workers),
                              "--bind", f"{settings.bind_host}:{settings.ports.web}",
                              "--graceful-timeout", "3",  # open SSE streams must not hold a stop
                              "--config", "python:ops.gunicorn_conf",   # workers die with their master
                              "--access-logfile", "-", "web:create_app()"])


COMMANDS = [agi, ami, worker, cron, web]
