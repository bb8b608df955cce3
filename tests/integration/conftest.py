"""The real hotline (Asterisk PBX + carrier simulator + FastAGI server) of a test module.

Modules share the session's one hotline (tests/support/shared_hotline.py: reset between modules).
A module that breaks the installation on purpose, or needs other settings (HOTLINE_ENV), sets
``OWN_HOTLINE = True`` with its reason and gets one of its own for the module.
"""
from __future__ import annotations

import pytest

from tests.support.telephony import start_hotline, stop_hotline


def own_hotline(module) -> bool:
    if getattr(module, "OWN_HOTLINE", False):
        return True
    if getattr(module, "HOTLINE_ENV", None):
        raise pytest.UsageError(f"{module.__name__} sets HOTLINE_ENV: its installation differs from the shared "
                                "one, so it must say OWN_HOTLINE = True")
    return False


@pytest.fixture(scope="module")
def hotline(request, shared_hotline, tmp_path_factory):
    """A module with OWN_HOTLINE may set HOTLINE_ENV (extra settings, e.g. HOTLINE_SIP_BIND) for its installation."""
    if own_hotline(request.module):
        shared_hotline.release()            # same ports: the shared one stops first
        system = start_hotline(tmp_path_factory.mktemp("hotline-run"),
                               extra_env=getattr(request.module, "HOTLINE_ENV", None))
        yield system
        stop_hotline(system)
        return
    yield shared_hotline.acquire()
    shared_hotline.after_module(request.module.__name__)


@pytest.fixture(autouse=True)
def _softphones_answer(request):
    """Every test on a hotline starts with all simulated softphones answering (tests without one: nothing)."""
    if "hotline" in request.fixturenames:
        hotline = request.getfixturevalue("hotline")
        for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
            hotline.set_softphone(agent, "answer")
        hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 0")
    yield
