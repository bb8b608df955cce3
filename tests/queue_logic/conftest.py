"""Fixtures for the live-state tests: a fresh model, a Redis key prefix of the test's own."""
from __future__ import annotations

import secrets

import pytest

from hotline.keys import Keys
from queue_logic.model import LiveModel
from tests.support.ami_events import day_of, make_directory


@pytest.fixture
def model() -> LiveModel:
    return LiveModel(make_directory(), day_of)


@pytest.fixture
def redis_keys():
    """A real Redis (the one the suite uses) under a throw-away prefix, removed afterwards."""
    from hotline.config import Settings
    from hotline.redis_conn import redis_client

    settings = Settings.from_env({"HOTLINE_RUN_DIR": "/tmp/hltest-unused"})
    client = redis_client(settings, check=True)
    keys = Keys(f"hltest-ql-{secrets.token_hex(4)}:")
    yield client, keys
    stale = list(client.scan_iter(f"{keys.prefix}*"))
    if stale:
        client.delete(*stale)
