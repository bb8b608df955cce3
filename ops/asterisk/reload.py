"""Apply a configuration change to running Asterisk instances without a restart (配置热加载).

Queues, members and agent endpoints are rendered from the database
(``render.agents_and_queues``) into queues.conf and pjsip.conf, then only the
modules concerned reload: ``app_queue`` keeps waiting callers, calls in
progress and the dynamic (logged-in) members; ``res_pjsip`` keeps established
calls. Logged-in agents then follow their new memberships (``sync_members``).
The carrier simulator is re-rendered too, so a new agent's simulated softphone
registers. Until a queue is reloaded, the dialplan's QUEUE_EXISTS guard sends
callers of a queue Asterisk does not know yet to the 12345 queue.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from sqlalchemy import select

from db.models import Agent
from db.session import session_factory_for, session_scope
from hotline.ami import AmiClient
from hotline.config import Settings
from ops.asterisk import binary, render
from queue_logic import ami_actions as act
from queue_logic.directory import Directory, interface_of, load_directory

log = logging.getLogger(__name__)

QUEUE_RELOAD = "module reload app_queue.so"
PJSIP_RELOAD = "module reload res_pjsip.so"


def apply_config(settings: Settings, kinds: Iterable[str]) -> list[str]:
    """Re-render and reload what ``kinds`` (queue, agent, ...) touch; returns the CLI commands run."""
    kinds = set(kinds)
    if not kinds & {"queue", "agent"}:
        return []
    pbx, carrier = render.instances(settings, binary.locate(settings.asterisk_root))
    with session_scope(_factory(settings.database_url)) as session:
        agents, queues = render.agents_and_queues(session)
        supervisors = render.supervisor_phones(settings, session)
        directory = load_directory(session)
        retired = {interface_of(u) for u in session.scalars(select(Agent.sip_username)
                                                            .where(Agent.active.is_(False)))}
    done = []
    if pbx.is_running():
        pbx.render(render.pbx_context(settings, agents, queues, supervisors))
        commands = [QUEUE_RELOAD] + ([PJSIP_RELOAD] if "agent" in kinds else [])
        for command in commands:
            pbx.cli(command)
            done.append(f"pbx: {command}")
        with AmiClient("127.0.0.1", settings.ports.ami, *settings.ami_login("cli")) as ami:
            done += [f"pbx: {a['Action']} {a['Queue']} {a['Interface']}" for a in sync_members(ami, directory, retired)]
    if "agent" in kinds and carrier.is_running():
        carrier.render(render.carrier_context(settings, agents, settings.softphones, supervisors))
        carrier.cli(PJSIP_RELOAD)
        done.append(f"carrier: {PJSIP_RELOAD}")
    return done


def sync_members(ami: AmiClient, directory: Directory, retired: set[str]) -> list[dict]:
    """Logged-in agents follow their new memberships: joined queues added (with the penalty), left ones
    removed, penalties set; a retired agent leaves every queue. Agents not logged in stay out."""
    current: dict[str, dict[str, dict]] = {}
    for ev in ami.action_list("QueueStatus"):
        if ev.get("Event") == "QueueMember":
            current.setdefault(ev.get("Location") or ev.get("StateInterface", ""), {})[ev.get("Queue", "")] = ev
    by_interface = {a.interface: a for a in directory.agents.values()}
    actions: list[dict] = []
    for interface, queues in current.items():
        agent = by_interface.get(interface)
        if agent is None:
            if interface in retired:
                actions += [{"Action": "QueueRemove", "Queue": q, "Interface": interface} for q in sorted(queues)]
            continue
        wanted = dict(agent.queues)
        paused = any(ev.get("Paused") == "1" for ev in queues.values())
        for queue in sorted(set(queues) - set(wanted)):
            actions.append(act.queue_remove(agent, queue))
        for queue, penalty in sorted(wanted.items()):
            if queue not in queues:
                actions.append({**act.queue_add(agent, queue, penalty), "Paused": "true" if paused else "false"})
            elif str(queues[queue].get("Penalty", "0")) != str(penalty):
                actions.append({"Action": "QueuePenalty", "Queue": queue, "Interface": interface,
                                "Penalty": str(penalty)})
    for action in actions:
        reply = ami.action(action["Action"], **{k: v for k, v in action.items() if k != "Action"})
        if reply.get("Response") != "Success":
            log.warning("%s %s %s refused: %s", action["Action"], action.get("Queue"), action["Interface"],
                        reply.get("Message"))
    return actions


@functools.lru_cache(maxsize=4)
def _factory(url: str):
    return session_factory_for(url)


def reload_queues(settings: Settings) -> set[str]:
    """Re-render from the database, reload app_queue; the queues Asterisk now has."""
    apply_config(settings, {"queue"})
    return known_queues(render.instances(settings, binary.locate(settings.asterisk_root))[0])


def known_queues(pbx) -> set[str]:
    """Queue names in ``queue show`` (the first word of each queue's summary line)."""
    return {line.split()[0] for line in pbx.cli("queue show").splitlines()
            if " has " in line and "calls" in line and not line.startswith(" ")}
