"""`hotline suggest …`: the dispatch suggestion (智能派单) model: train it now, queue a retrain, see what is stored."""
from __future__ import annotations

import click

from hotline.config import Settings


@click.group()
def suggest() -> None:
    """Dispatch suggestion (智能派单) learned from the centre's accepted tickets."""


@suggest.command("train")
@click.option("--days", default=None, type=click.IntRange(1, 3650), help="learn from the last DAYS of tickets")
def suggest_train(days: int | None) -> None:
    """Retrain now, in this process (what the nightly job does)."""
    from dispatch_suggest.jobs import HISTORY_DAYS, retrain

    settings = Settings.from_env()
    done = retrain(settings.database_url, str(settings.run_dir), history_days=days or HISTORY_DAYS)
    if done["status"] == "not_enough_history":
        click.echo(f"not trained: {done['message']}")
        return
    verb = "trained" if done["status"] == "trained" else "unchanged (no new history since)"
    click.echo(f"model v{done['version']} {verb}, trained at {done['trained_at']}: {done['examples']}")
    click.echo(f"  {done['path']}")


@suggest.command("enqueue")
def suggest_enqueue() -> None:
    """Queue one retrain for the rq worker (`hotline up` runs it)."""
    from dispatch_suggest.jobs import enqueue_retrain
    from hotline.redis_conn import redis_client

    settings = Settings.from_env()
    job = enqueue_retrain(settings, redis_client(settings, check=True))
    click.echo(f"queued {job.id} ({job.get_status(refresh=False)})")


@suggest.command("status")
def suggest_status() -> None:
    """The stored model: version, training date, what it learned from."""
    from dispatch_suggest import store

    settings = Settings.from_env()
    path = store.model_path(settings.run_dir)
    model = store.load(path)
    if model is None:
        click.echo(f"no model yet at {path}: `hotline suggest train` once there are accepted tickets")
        return
    info = model.info()
    click.echo(f"model v{info['version']}, trained at {info['trained_at']}: {info['examples']}")
    click.echo(f"  {len(model.department_codes)} departments, {len(model.topic_classifier.classes_)} topics; {path}")


COMMANDS = [suggest]
