"""Load smoke test (压力测试冒烟): `hotline load run` on the real Asterisk, about 60 calls in 60 s.

Real sipp callers (RTP speech + RFC 4733 DTMF, Poisson arrivals, drawn patience) through the
load trunk, 30 sipp agents answering after a ring and talking a drawn (scaled-down) time, and
wallboard/agent screens on the real gunicorn. The capacity figures themselves are in
docs/benchmarks.md; this proves the generator and the path under a small load.
"""
from __future__ import annotations

import json

import pytest

from tests.support.telephony import TEST_PORT_OFFSET

HOTLINE_ENV = {"HOTLINE_LOAD_TRUNK_PORT": str(5080 + TEST_PORT_OFFSET), "HOTLINE_AGI_TIMING": "1",
               "HOTLINE_SOFTPHONES": "1001,1002,1003,1004"}
OWN_HOTLINE = True    # its own load trunk, AGI timing and softphones; 60 calls in 60 s on it


@pytest.fixture
def only_load_agents(hotline):
    """The demo softphones leave queue 12345 for the run, so only the load agents answer."""
    from queue_logic.agent_sessions import login_direct, logout_direct
    from queue_logic.directory import load_directory

    with hotline.session_factory()() as session:
        demo = [a for n, a in load_directory(session).agents.items() if n in {"1001", "1002", "1003", "1004"}]
    with hotline.pbx_ami() as ami:
        logout_direct(ami, demo)
    yield
    with hotline.pbx_ami() as ami:
        login_direct(ami, demo)


def test_sixty_calls_in_sixty_seconds(hotline, only_load_agents):
    hotline.start_service("web")
    web = f"http://127.0.0.1:{hotline.settings.ports.web}"
    env = {"HOTLINE_LOAD_SUPERVISOR_PASSWORD": hotline.passwords["supervisor"],
           "HOTLINE_LOAD_AGENT_PASSWORD": hotline.passwords["agent1001"]}
    hotline.env.update(env)
    try:
        done = hotline.hotline_cli("load", "run", "--rate", "1", "--seconds", "60", "--agents", "30",
                                   "--ring", "0.5-2", "--talk", "3-8", "--patience", "20", "--patience-min", "5",
                                   "--wallboards", "10", "--agent-screens", "5", "--web", web,
                                   "--supervisor", "supervisor", "--agent-user", "agent1001", timeout=300)
    finally:
        for key in env:
            hotline.env.pop(key)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    calls, records, agi, streams = result["calls"], result["records"], result["agi"], result["streams"]
    assert 35 <= calls["offered"] <= 90, calls            # Poisson, mean 60
    assert calls["setups_failed"] == 0, calls
    assert result["records_missing"] == 0, (calls, records)
    assert records["outcomes"].get("answered", 0) >= calls["offered"] // 2, records
    assert set(records["outcomes"]) <= {"answered", "abandoned"}, records
    assert records["wait_p99_s"] is not None
    assert agi["runs"] >= 3 * calls["offered"] and agi["p99_ms"] is not None, agi   # inbound, ivr, connect, hangup
    assert streams["opened"] == 15 and streams["failed"] == 0 and streams["down_share"] < 0.05, streams
    assert streams["lag_samples"] > 0 and streams["lag_p99_s"] <= 2.0, streams
    assert result["pbx_at_once"]["peak_calls"] >= 1, result["pbx_at_once"]
    assert {"asterisk-pbx", "agi", "web", "sipp-callers", "sipp-agents"} <= set(result["processes"])
    assert result["recordings"]["checked"] > 0 and result["recordings"]["invalid"] == 0, result["recordings"]
