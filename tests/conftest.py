"""Fixtures shared by every test package."""
from __future__ import annotations

import pytest

from tests.support.databases import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """URL of an empty database, SQLite and then a real PostgreSQL, dropped after the test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url
