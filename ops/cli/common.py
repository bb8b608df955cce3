"""What every command group shares: the settings, a database session factory, logging."""
from __future__ import annotations

import logging

import click

from db.session import session_factory_for
from hotline.config import Settings
from hotline.logs import install_phone_masking


def settings() -> Settings:
    return Settings.from_env()


def require_database(settings: Settings) -> None:
    """A clear error (problem + fix) when the database is missing or empty, before anything creates a file."""
    from db.presence import check_database

    check_database(settings.database_url)


def session_factory(settings: Settings, *, check: bool = True):
    """The command's database; missing or empty is an error (only `db upgrade` and `seed` create it)."""
    if check:
        require_database(settings)
    return session_factory_for(settings.database_url)


def setup_logging() -> None:
    """Every service logs through this: citizens' numbers are masked in every record."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_phone_masking()


def echo_sip_account(settings: Settings, username: str, secret: str) -> None:
    """The lines a person types into a softphone: server, username, password."""
    host = settings.sip_bind if settings.sip_bind != "0.0.0.0" else "<this machine's address>"
    click.echo(f"  SIP server   {host}:{settings.ports.sip} (UDP)")
    click.echo(f"  username     {username}")
    click.echo(f"  password     {secret}")
