"""Fixtures shared by every test package."""
from __future__ import annotations

import pytest

from tests.support.databases import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """URL of an empty database, SQLite and then a real PostgreSQL, dropped after the test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def shared_hotline(tmp_path_factory):
    """The one hotline of the session for the modules without OWN_HOTLINE (tests/support/shared_hotline.py);
    started by the first module that asks for ``hotline``, stopped at the end."""
    from tests.support.shared_hotline import SharedHotline

    shared = SharedHotline(lambda: tmp_path_factory.mktemp("hotline-shared"))
    yield shared
    shared.release()


def pytest_collection_modifyitems(items):
    """Modules with a hotline of their own (OWN_HOTLINE) run after every other test, in their order:
    the shared hotline is then started once, and stopped once before the first of them."""
    items.sort(key=lambda item: bool(getattr(getattr(item, "module", None), "OWN_HOTLINE", False)))
