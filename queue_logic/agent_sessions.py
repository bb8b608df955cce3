"""Agent log-in (签入) for tools that run without the AMI listener: the test harness and `hotline up`.

They send the very actions the listener sends (queue_logic.ami_actions) over a
short synchronous AMI connection, then wait until QueueStatus shows the result.
"""
from __future__ import annotations

import time

from hotline.ami import AmiClient
from hotline.config import Settings
from hotline.errors import HotlineError
from queue_logic import ami_actions as act
from queue_logic.directory import AgentInfo, Directory, load_directory


def _send(ami: AmiClient, action: dict) -> None:
    fields = {k: v for k, v in action.items() if k != "Action"}
    reply = ami.action(action["Action"], **fields)
    if not act.accepted(action, reply):
        raise HotlineError(f"Asterisk refused {action['Action']} {action.get('Queue', '')} "
                           f"{action.get('Interface', '')}: {reply.get('Message')}")


def memberships(ami: AmiClient) -> dict[str, set[str]]:
    """Interface → queues it is a member of, from QueueStatus."""
    found: dict[str, set[str]] = {}
    for ev in ami.action_list("QueueStatus"):
        if ev.get("Event") == "QueueMember":
            found.setdefault(ev.get("Location") or ev.get("StateInterface", ""), set()).add(ev.get("Queue", ""))
    return found


def login_direct(ami: AmiClient, agents: list[AgentInfo], *, timeout: float = 10.0) -> None:
    """Log ``agents`` into their queues and return once QueueStatus shows every membership."""
    for agent in agents:
        for action in act.login_plan(agent, set()):
            _send(ami, action)
    deadline = time.monotonic() + timeout
    while True:
        now_in = memberships(ami)
        missing = [a.number for a in agents if not {q for q, _ in a.queues} <= now_in.get(a.interface, set())]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise HotlineError(f"agents {', '.join(missing)} are not in their queues after {timeout:.0f}s")
        time.sleep(0.1)


def logout_direct(ami: AmiClient, agents: list[AgentInfo]) -> None:
    now_in = memberships(ami)
    for agent in agents:
        for action in act.logout_plan(agent, now_in.get(agent.interface, set())):
            _send(ami, action)


def simulated(settings: Settings, directory: Directory) -> list[AgentInfo]:
    """The agents whose softphones the carrier simulator plays (HOTLINE_SOFTPHONES)."""
    chosen = settings.softphones
    if chosen in ("", "none"):
        return []
    wanted = None if chosen == "all" else {s.strip() for s in chosen.split(",")}
    return [a for n, a in sorted(directory.agents.items()) if a.queues and (wanted is None or n in wanted)]


def pbx_ami(settings: Settings) -> AmiClient:
    return AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("cli"))


def login_simulated_agents(settings: Settings, session_factory) -> str:
    """`hotline up` for the demo: the simulated softphones' agents are at their desks."""
    with session_factory() as session:
        agents = simulated(settings, load_directory(session))
    if not agents:
        return "agents: none logged in (HOTLINE_SOFTPHONES=none: agents log in from their phones, *21)"
    with pbx_ami(settings) as ami:
        login_direct(ami, agents)
    return f"agents: {', '.join(a.number for a in agents)} logged in (simulated softphones)"
