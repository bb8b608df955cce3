"""What every command group shares: the settings, a database session factory, logging."""
from __future__ import annotations

import logging

from db.session import session_factory_for
from hotline.config import Settings


def settings() -> Settings:
    return Settings.from_env()


def session_factory(settings: Settings):
    return session_factory_for(settings.database_url)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
