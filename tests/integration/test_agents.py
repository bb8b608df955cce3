"""Agents log in/out and pause from the softphone (feature codes) and from the `hotline agents` command.

The simulated softphone dials the PBX as the agent itself (SIP digest auth as
agent100x), exactly as a desk phone would; QueueStatus shows the result, and
the running AMI listener shows the same state in Redis.
"""
from __future__ import annotations

import time

import pytest

from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.snapshot import agent_snapshot, today
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


def dial(hotline, agent_sip: str, code: str) -> None:
    """The agent's softphone dials a feature code; returns once the PBX answered it."""
    with hotline.carrier_ami() as ami:
        reply = ami.action("Originate", Channel=f"PJSIP/{code}@phone-{agent_sip}", Application="Wait", Data="1",
                           Timeout="10000", Async="true")
        answered = ami.wait_event(lambda m: m.get("Event") == "OriginateResponse"
                                  and m.get("ActionID") == reply["ActionID"], 15)
    assert answered is not None and answered["Response"] == "Success", f"{code} from {agent_sip}: {answered}"


def membership(hotline, interface: str) -> dict[str, tuple[str, str, str]]:
    """queue → (penalty, paused, reason) of one member, from QueueStatus."""
    with hotline.pbx_ami() as ami:
        return {e["Queue"]: (e["Penalty"], e["Paused"], e["PausedReason"]) for e in ami.action_list("QueueStatus")
                if e["Event"] == "QueueMember" and e["Location"] == interface}


@pytest.fixture(scope="module")
def listener(hotline):
    hotline.start_service("ami")
    yield redis_client(hotline.settings), Keys(hotline.settings.redis_prefix)
    hotline.stop_service("ami")


def my_state(hotline, listener, number: str) -> dict:
    client, keys = listener
    return agent_snapshot(client, keys, number, today(hotline.settings.timezone))


def test_feature_codes_log_out_log_in_pause_and_unpause(hotline, listener):
    dial(hotline, "agent1003", "*22")
    assert wait_for(lambda: membership(hotline, "PJSIP/agent1003") == {})
    assert wait_for(lambda: my_state(hotline, listener, "1003")["state"] == "logged_out")

    dial(hotline, "agent1003", "*21")     # its QueueMember rows: 12345 (penalty 0), english (penalty 1)
    assert wait_for(lambda: membership(hotline, "PJSIP/agent1003") == {"12345": ("0", "0", ""),
                                                                         "english": ("1", "0", "")})
    dial(hotline, "agent1003", "*232")    # training 培训
    assert wait_for(lambda: membership(hotline, "PJSIP/agent1003") == {"12345": ("0", "1", "training"),
                                                                         "english": ("1", "1", "training")})
    state = wait_for(lambda: (s := my_state(hotline, listener, "1003"))["state"] == "paused" and s)
    assert state["reason"] == "training"

    dial(hotline, "agent1003", "*24")
    assert wait_for(lambda: {p for _, p, _ in membership(hotline, "PJSIP/agent1003").values()} == {"0"})
    assert wait_for(lambda: my_state(hotline, listener, "1003")["state"] == "idle")


def test_pause_code_when_logged_out_changes_nothing(hotline, listener):
    dial(hotline, "agent1004", "*22")
    assert wait_for(lambda: membership(hotline, "PJSIP/agent1004") == {})
    dial(hotline, "agent1004", "*23")     # PQMSTATUS=NOTFOUND: an error tone, no membership appears
    time.sleep(0.5)
    assert membership(hotline, "PJSIP/agent1004") == {}
    dial(hotline, "agent1004", "*21")
    assert wait_for(lambda: membership(hotline, "PJSIP/agent1004") == {"english": ("0", "0", "")})


def test_hotline_agents_command_goes_through_the_listener(hotline, listener):
    done = hotline.hotline_cli("agents", "pause", "1002", "--reason", "meeting")
    assert done.returncode == 0, done.stderr
    assert set(membership(hotline, "PJSIP/agent1002").values()) == {("0", "1", "meeting")}
    status = hotline.hotline_cli("agents", "status")
    assert status.returncode == 0
    line = next(line for line in status.stdout.splitlines() if line.startswith("1002"))
    assert "paused" in line and "meeting" in line
    assert hotline.hotline_cli("agents", "unpause", "1002").returncode == 0
    assert set(membership(hotline, "PJSIP/agent1002").values()) == {("0", "0", "")}
    refused = hotline.hotline_cli("agents", "pause", "9999")
    assert refused.returncode == 1 and "no active agent" in refused.stderr


def test_sessions_and_since_times_survive_a_listener_restart(hotline, listener):
    """Asterisk keeps the sessions; the new listener resyncs and keeps what QueueStatus cannot say."""
    client, keys = listener
    before = my_state(hotline, listener, "1001")
    assert before["state"] == "idle" and before["since"] > 0
    hotline.stop_service("ami")
    with hotline.pbx_ami() as ami:      # changed while no listener runs
        ami.action("QueuePause", Interface="PJSIP/agent1002", Paused="true", Reason="break")
    try:
        hotline.start_service("ami")
        state = wait_for(lambda: (s := my_state(hotline, listener, "1002"))["state"] == "paused" and s)
        assert state["reason"] == "break"
        after = my_state(hotline, listener, "1001")
        assert (after["state"], after["since"]) == ("idle", before["since"])
    finally:
        with hotline.pbx_ami() as ami:
            ami.action("QueuePause", Interface="PJSIP/agent1002", Paused="false")
