"""Listener commands: rules first, then the AMI actions (here a fake AMI answering as Asterisk 22 does).

The real round trip (Redis → listener → Asterisk → QueueStatus) is in tests/integration.
"""
from __future__ import annotations

import asyncio

import pytest

from queue_logic.commands import CommandError, new_command
from queue_logic.executor import CommandExecutor
from tests.support.ami_events import agent_event, log_in


class FakeAmi:
    """Answers like app_queue: QueueAdd of a member → "Already there", QueueRemove of a stranger → "Not there"."""

    def __init__(self, members: set[tuple[str, str]] = frozenset()):
        self.members, self.sent = set(members), []

    async def send(self, action: dict) -> dict:
        self.sent.append(action)
        kind, key = action["Action"], (action.get("Queue"), action.get("Interface"))
        if kind == "QueueAdd":
            if key in self.members:
                return {"Response": "Error", "Message": "Unable to add interface: Already there"}
            self.members.add(key)
        elif kind == "QueueRemove":
            if key not in self.members:
                return {"Response": "Error", "Message": "Unable to remove interface: Not there"}
            self.members.discard(key)
        return {"Response": "Success", "Message": "ok"}


def run(executor, action, **args) -> dict:
    return asyncio.run(executor.execute(new_command(action, **args)))


@pytest.fixture
def ami():
    return FakeAmi()


@pytest.fixture
def executor(model, ami):
    async def resync():
        return None
    return CommandExecutor(model, ami.send, resync)


def test_login_joins_the_agents_queues_with_their_penalties(executor, ami):
    assert run(executor, "login", agent="1001")["queues"] == ["12345", "overflow"]
    adds = [a for a in ami.sent if a["Action"] == "QueueAdd"]
    assert {(a["Queue"], a["Penalty"], a["MemberName"]) for a in adds} == {("12345", "0", "1001 张伟"),
                                                                         ("overflow", "0", "1001 张伟")}
    assert ami.members == {("12345", "PJSIP/agent1001"), ("overflow", "PJSIP/agent1001")}


def test_login_drops_queues_the_agent_no_longer_belongs_to(executor, model, ami):
    log_in(model, "1002", ("12345", "english"))
    ami.members |= {("12345", "PJSIP/agent1002"), ("english", "PJSIP/agent1002")}
    assert run(executor, "login", agent="1002")["ok"]
    assert ami.members == {("12345", "PJSIP/agent1002")}


def test_login_twice_replies_ok_both_times(executor):
    first, second = run(executor, "login", agent="1002"), run(executor, "login", agent="1002")
    assert first["ok"] and second["ok"] and second["queues"] == ["12345"]


def test_logout_of_an_agent_not_logged_in_is_ok(executor):
    assert run(executor, "logout", agent="1004")["ok"]


def test_pause_needs_a_logged_in_agent_and_a_known_reason(executor, model, ami):
    reply = run(executor, "pause", agent="1001", reason="break")
    assert (reply["ok"], reply["error"], reply["status"]) == (False, "not_logged_in", 409)
    log_in(model, "1001", ("12345",))
    assert run(executor, "pause", agent="1001", reason="nap")["error"] == "bad_reason"
    assert run(executor, "pause", agent="1001", reason="meeting")["ok"]
    assert ami.sent[-1] == {"Action": "QueuePause", "Interface": "PJSIP/agent1001", "Paused": "true",
                            "Reason": "meeting"}
    assert "Queue" not in ami.sent[-1]          # every queue at once


def test_unknown_agent_and_unknown_action(executor):
    assert run(executor, "login", agent="4242")["error"] == "unknown_agent"
    with pytest.raises(CommandError):
        new_command("reboot")


def test_spy_needs_a_call_and_rings_the_supervisors_phone(executor, model, ami):
    log_in(model, "1001", ("12345",))
    assert run(executor, "spy", agent="1001", supervisor="supervisor", mode="listen")["error"] == "not_on_call"
    model.apply(agent_event("AgentConnect", "c1", HoldTime="1"), 10.0)
    reply = run(executor, "spy", agent="1001", supervisor="supervisor", mode="whisper")
    assert reply["ok"] and reply["endpoint"] == "sup-supervisor"
    originate = ami.sent[-1]
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == ("PJSIP/sup-supervisor",
                                                                               "hotline-spy", "whisper")
    assert originate["Variable"] == "HOTLINE_SPY_TARGET=PJSIP/agent1001-"
    assert originate["ChannelId"] == reply["channel_id"]     # a re-sent Originate is refused as a duplicate
    assert run(executor, "spy", agent="1001", supervisor="supervisor", mode="shout")["error"] == "bad_mode"


def test_asterisk_refusing_is_a_failed_reply_not_an_exception(model):
    async def refuse(action):
        return {"Response": "Error", "Message": "Interface not found"}

    async def resync():
        return None

    log_in(model, "1001", ("12345",))
    reply = asyncio.run(CommandExecutor(model, refuse, resync).execute(new_command("unpause", agent="1001")))
    assert (reply["ok"], reply["error"]) == (False, "asterisk_refused")
