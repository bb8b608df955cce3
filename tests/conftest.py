"""Fixtures shared by every test package."""
from __future__ import annotations

import os

import pytest

from tests.support.databases import fresh_database  # no telephony import: the offset below is set in time


def _worker_port_offset() -> None:
    """Each pytest-xdist worker (``-n 2 --dist loadfile``, an option: README, Tests) is an installation of
    its own: its hotlines listen 10,000 ports above the previous worker's (hotline/config.Ports spans
    about 8,200 ports from 3,790), all below Linux's ephemeral ports (32,768). Read before any module
    imports tests.support.telephony, which fixes its offset at import."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    base = int(os.environ.get("HOTLINE_TEST_PORT_OFFSET", "2000"))
    if base + 10000 * index + 12000 > 32768:
        raise pytest.UsageError(f"worker {worker}: its ports would reach the ephemeral range (32,768 and up): run fewer workers or a lower HOTLINE_TEST_PORT_OFFSET")
    os.environ["HOTLINE_TEST_PORT_OFFSET"] = str(base + 10000 * index)


_worker_port_offset()


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
