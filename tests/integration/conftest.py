"""One real hotline (Asterisk PBX + carrier simulator + FastAGI server) per test module."""
from __future__ import annotations

import pytest

from tests.support.telephony import start_hotline, stop_hotline


@pytest.fixture(scope="module")
def hotline(request, tmp_path_factory):
    """A module may set HOTLINE_ENV (extra settings, e.g. HOTLINE_SIP_BIND) for its installation."""
    system = start_hotline(tmp_path_factory.mktemp("hotline-run"), extra_env=getattr(request.module, "HOTLINE_ENV", None))
    yield system
    stop_hotline(system)


@pytest.fixture(autouse=True)
def _softphones_answer(hotline):
    """Every test starts with all simulated softphones answering."""
    for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
        hotline.set_softphone(agent, "answer")
    hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 0")
    yield
