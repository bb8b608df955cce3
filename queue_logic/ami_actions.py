"""Each AMI action the hotline sends about agents, as one small function.

Builders return the action as a dict, so the asynchronous listener (panoramisk)
and the synchronous tools (hotline.ami.AmiClient: CLI, test harness) send the
very same thing. ``accepted`` says whether a reply means "done": repeating a
login or a logout is not an error, which makes every action idempotent (a
reconnecting panoramisk may send an action twice).
"""
from __future__ import annotations

from hotline import dialplan as v
from queue_logic.directory import AgentInfo

SPY_CONTEXT = "hotline-spy"                       # extensions_supervisor.conf
SURGE_PREVIEW_CONTEXT = "hotline-surge-preview"
SUPERVISOR_ENDPOINT_PREFIX = "sup-"
ORIGINATE_RING_MS = 30000


def queue_add(agent: AgentInfo, queue: str, penalty: int) -> dict:
    """签入 one queue: a dynamic member, known by the agent's softphone."""
    return {"Action": "QueueAdd", "Queue": queue, "Interface": agent.interface, "Penalty": str(penalty),
            "MemberName": agent.member_name, "StateInterface": agent.interface}


def queue_remove(agent: AgentInfo, queue: str) -> dict:
    return {"Action": "QueueRemove", "Queue": queue, "Interface": agent.interface}


def queue_pause(agent: AgentInfo, paused: bool, reason: str = "") -> dict:
    """示忙/示闲 in every queue at once (no Queue header: app_queue sends one event per queue)."""
    action = {"Action": "QueuePause", "Interface": agent.interface, "Paused": "true" if paused else "false"}
    if reason:
        action["Reason"] = reason
    return action


def supervisor_endpoint(username: str) -> str:
    """The PJSIP endpoint of a supervisor's own phone: user "supervisor" → "sup-supervisor"."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in username.lower())
    return f"{SUPERVISOR_ENDPOINT_PREFIX}{safe}"


def spy(supervisor: str, agent: AgentInfo, mode: str, channel_id: str) -> dict:
    """Ring the supervisor's phone; once answered it runs ChanSpy on the agent's call.

    ``channel_id`` fixes the new channel's uniqueid: if panoramisk re-sends this
    Originate after a reconnect, Asterisk refuses the duplicate id.
    """
    return {"Action": "Originate", "Channel": f"PJSIP/{supervisor_endpoint(supervisor)}",
            "Context": SPY_CONTEXT, "Exten": mode, "Priority": "1",
            "CallerID": f"\"{mode} {agent.number}\" <{agent.number}>", "Timeout": str(ORIGINATE_RING_MS),
            "Variable": f"{v.SPY_TARGET}={agent.interface}-", "ChannelId": channel_id, "Async": "true"}


def surge_preview(supervisor: str, prompt: str, channel_id: str) -> dict:
    """试听: play the surge announcement on the supervisor's own phone before switching it on."""
    return {"Action": "Originate", "Channel": f"PJSIP/{supervisor_endpoint(supervisor)}",
            "Context": SURGE_PREVIEW_CONTEXT, "Exten": "s", "Priority": "1",
            "CallerID": "\"surge preview\" <12345>", "Timeout": str(ORIGINATE_RING_MS),
            "Variable": f"{v.SURGE_PROMPT}={prompt}", "ChannelId": channel_id, "Async": "true"}


def accepted(action: dict, reply) -> bool:
    """Success, or the harmless "already so" answers of QueueAdd / QueueRemove."""
    if reply.get("Response") == "Success":
        return True
    message = (reply.get("Message") or "").lower()
    kind = action["Action"]
    return (kind == "QueueAdd" and "already there" in message) or \
           (kind == "QueueRemove" and "not there" in message)


def login_plan(agent: AgentInfo, current_queues: set[str]) -> list[dict]:
    """Make the agent's membership equal its QueueMember rows: add (with penalty), drop the rest."""
    wanted = dict(agent.queues)
    return [queue_add(agent, q, p) for q, p in sorted(wanted.items())] + \
           [queue_remove(agent, q) for q in sorted(current_queues - set(wanted))]


def logout_plan(agent: AgentInfo, current_queues: set[str]) -> list[dict]:
    return [queue_remove(agent, q) for q in sorted(current_queues | {q for q, _ in agent.queues})]
