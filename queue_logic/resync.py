"""Rebuild the live model from QueueStatus (重新同步), after every AMI (re)connect.

Asterisk is the truth for who is logged in, paused, ringing or busy and who
waits. What QueueStatus cannot say (when a state began, the line of a call in
progress) is kept from the previous model when it is still consistent, so a
listener restart does not reset every agent's "since" to now.
"""
from __future__ import annotations

from queue_logic.model import Agent, Caller, LiveModel, QueueInfo
from queue_logic.states import BUSY_DEVICE, PAUSED, RINGING, RINGING_DEVICE, TALKING, WRAPUP


def reset_from_queue_status(model: LiveModel, events: list[dict], now: float) -> None:
    previous_agents = {n: (a.state, a.reason, a.since, a.phase, a.call, a.wrapup_until)
                       for n, a in model.agents.items()}
    previous_callers = {uid: c for callers in model.callers.values() for uid, c in callers.items()}

    model.queues, model.callers = {}, {}
    for agent in model.agents.values():
        agent.memberships = {}
    for ev in events:
        kind, queue = ev.get("Event"), ev.get("Queue", "")
        if kind == "QueueParams":
            model.queues[queue] = QueueInfo(queue, strategy=ev.get("Strategy", ""),
                                            service_level=int(ev.get("ServiceLevel") or 0)
                                            or model.directory.service_level(queue))
            model.callers.setdefault(queue, {})
        elif kind == "QueueMember":
            agent = model.agent_for(ev.get("Location") or ev.get("Interface", ""), ev.get("Name", ""))
            model._set_membership(agent, queue, now, **model._member_facts(ev))
        elif kind == "QueueEntry":
            uid = ev.get("Uniqueid", "")
            old = previous_callers.get(uid)
            line = (old.line if old else "") or model.dialed.get(uid, "")
            model.callers.setdefault(queue, {})[uid] = Caller(
                uniqueid=uid, queue=queue, channel=ev.get("Channel", ""), caller=ev.get("CallerIDNum", ""),
                joined_at=old.joined_at if old else now - float(ev.get("Wait") or 0),
                position=int(ev.get("Position") or 0), line=line, line_name=model.directory.line_name(line))
    for number in [n for n, a in model.agents.items() if not a.memberships and n not in model.directory.agents]:
        del model.agents[number]      # neither logged in nor an active agent any more
    for agent in model.agents.values():
        for queue in agent.memberships:
            model.queue(queue).members.add(agent.number)
        _restore_phase(model, agent, previous_agents.get(agent.number), now)
    model.abandoned.clear()
    model.changes.full = True


def _restore_phase(model: LiveModel, agent: Agent, previous, now: float) -> None:
    """Phase and call from the previous model where Asterisk's facts still agree; ``since`` likewise."""
    state, reason, since, phase, call, wrapup_until = previous or ("", "", 0.0, "", None, 0.0)
    members = agent.memberships.values()
    devices = {m.device for m in members}
    busy = bool(devices & BUSY_DEVICE) or any(m.in_call for m in members)
    agent.phase, agent.call, agent.wrapup_until = "", None, 0.0
    if busy and phase == TALKING:
        agent.phase, agent.call = TALKING, call
    elif devices & RINGING_DEVICE and phase == RINGING:
        agent.phase, agent.call = RINGING, call
    elif not busy and members:
        last_call = max((m.last_call for m in members), default=0.0)
        wrapup = max((model.directory.wrapup_seconds(m.queue) for m in members), default=0)
        until = wrapup_until if phase == WRAPUP else (last_call + wrapup if last_call else 0.0)
        if until > now:
            agent.phase, agent.wrapup_until = WRAPUP, until
            agent.call = call if phase in (WRAPUP, TALKING) else None
    new_state, new_reason = agent.derive(now)
    if (new_state, new_reason) == (state, reason) and since:
        agent.state, agent.reason, agent.since = state, reason, since
    else:
        guess = now
        if new_state == PAUSED:
            guess = max((m.last_pause for m in members), default=0.0) or now
        elif new_state == WRAPUP:
            guess = max((m.last_call for m in members), default=0.0) or now
        agent.state, agent.reason, agent.since = new_state, new_reason, min(guess, now)
    model.changes.agents.add(agent.number)
