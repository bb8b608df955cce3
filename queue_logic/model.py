"""Live queue and agent state as plain data (实时状态模型): changed only by AMI events.

Pure on purpose: no Redis, no clock. Every change takes ``now`` (the event's own
Timestamp), so a unit test or a replayed stream gives the same result as live.
The model records what changed (dirty agents and queues, callers added/removed,
counter increments); ``queue_logic.live_state`` writes exactly that to Redis.

app_queue's event order (docs/asterisk-notes.md): an answered caller leaves the queue
*before* AgentConnect, and an abandon comes *before* QueueCallerLeave. So a
call is classified on AgentConnect / QueueCallerAbandon; a leave that is
neither within LEAVE_GRACE seconds counts as an exit (timeout, overflow).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from queue_logic.directory import Directory
from queue_logic.states import (
    BUSY_DEVICE,
    IDLE,
    LOGGED_OUT,
    OFFLINE_DEVICE,
    PAUSED,
    RINGING,
    RINGING_DEVICE,
    TALKING,
    WRAPUP,
)

LEAVE_GRACE = 2.0          # seconds to wait for AgentConnect after a QueueCallerLeave
MAX_DIALED = 20000         # channels whose dialed number is remembered
CARRIER_CONTEXT = "from-carrier"


@dataclass
class Caller:
    """A citizen waiting in a queue (排队来电)."""

    uniqueid: str
    queue: str
    channel: str
    caller: str
    joined_at: float
    position: int
    line: str = ""          # the number the citizen dialed (DNIS)
    line_name: str = ""


@dataclass
class Membership:
    queue: str
    penalty: int = 0
    paused: bool = False
    reason: str = ""
    device: int = 0          # ast_device_state of the agent's phone
    in_call: bool = False
    last_call: float = 0.0
    last_pause: float = 0.0


@dataclass
class AgentCall:
    """The call an agent rings for, talks on, or wraps up (its line is shown on the wallboard)."""

    uniqueid: str
    queue: str
    caller: str = ""
    line: str = ""
    line_name: str = ""
    channel: str = ""        # the agent's own channel (ChanSpy target)
    started_at: float = 0.0


@dataclass
class Agent:
    number: str
    name: str
    interface: str
    memberships: dict[str, Membership] = field(default_factory=dict)
    phase: str = ""          # "", ringing, talking, wrapup: from queue events
    call: AgentCall | None = None
    wrapup_until: float = 0.0
    state: str = LOGGED_OUT
    reason: str = ""
    since: float = 0.0

    def derive(self, now: float) -> tuple[str, str]:
        """(state, pause reason) from the facts; the order says what wins."""
        if not self.memberships:
            return LOGGED_OUT, ""
        if self.phase in (RINGING, TALKING):
            return self.phase, ""
        if self.phase == WRAPUP and self.wrapup_until > now:
            return WRAPUP, ""
        devices = {m.device for m in self.memberships.values()}
        if devices & BUSY_DEVICE or any(m.in_call for m in self.memberships.values()):
            return TALKING, ""
        if devices & RINGING_DEVICE:
            return RINGING, ""
        paused = [m for m in self.memberships.values() if m.paused]
        if paused:
            return PAUSED, paused[0].reason
        return IDLE, ""

    @property
    def phone_offline(self) -> bool:
        return bool(self.memberships) and all(m.device in OFFLINE_DEVICE for m in self.memberships.values())


@dataclass
class QueueInfo:
    name: str
    strategy: str = ""
    service_level: int = 15
    members: set[str] = field(default_factory=set)   # agent numbers


@dataclass
class Changes:
    """What the last events changed, for the Redis writer."""

    agents: set[str] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)
    callers_set: dict[tuple[str, str], Caller] = field(default_factory=dict)    # (queue, uid) → caller
    callers_gone: set[tuple[str, str]] = field(default_factory=set)
    counters: dict[tuple[str, str, str, str], int] = field(default_factory=dict)  # (kind, name, day, field)
    full: bool = False       # everything must be rewritten (after a resync)

    def __bool__(self) -> bool:
        return bool(self.full or self.agents or self.queues or self.callers_set or self.callers_gone
                    or self.counters)

    def count(self, kind: str, name: str, day: str, name_of_field: str, amount: int = 1) -> None:
        key = (kind, name, day, name_of_field)
        self.counters[key] = self.counters.get(key, 0) + amount


class LiveModel:
    def __init__(self, directory: Directory, day_of: Callable[[float], str]):
        self.directory, self.day_of = directory, day_of
        self.queues: dict[str, QueueInfo] = {}
        self.callers: dict[str, dict[str, Caller]] = {}   # queue → uid → caller
        self.agents: dict[str, Agent] = {}                # number → agent
        self.dialed: dict[str, str] = {}                  # channel uniqueid → dialed number
        self.pending_leaves: dict[tuple[str, str], float] = {}
        self.abandoned: set[tuple[str, str]] = set()
        self.changes = Changes()
        for info in directory.agents.values():
            self.agents[info.number] = Agent(info.number, info.name, info.interface)

    def add_directory_agents(self) -> None:
        """Every active agent is on the wallboard, logged in or not."""
        for info in self.directory.agents.values():
            agent = self.agents.get(info.number)
            if agent is None:
                self.agents[info.number] = Agent(info.number, info.name, info.interface)
            else:
                agent.name, agent.interface = info.name, info.interface
            self.changes.agents.add(info.number)

    def set_caller_line(self, queue: str, uid: str, line: str) -> None:
        caller = self.callers.get(queue, {}).get(uid)
        if caller is not None and line:
            caller.line, caller.line_name = line, self.directory.line_name(line)
            self.changes.callers_set[(queue, uid)] = caller
            self.dialed.setdefault(uid, line)     # still known when an agent answers

    def line_of(self, queue: str, uid: str) -> str:
        caller = self.callers.get(queue, {}).get(uid)
        return caller.line if caller else ""

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    # --- lookups -----------------------------------------------------------------
    def agent_for(self, interface: str, member_name: str = "") -> Agent:
        """The agent behind a queue member interface; a member we do not know is shown by its interface."""
        info = self.directory.by_interface(interface)
        number = info.number if info else interface.split("/", 1)[-1]
        agent = self.agents.get(number)
        if agent is None:
            agent = self.agents[number] = Agent(number, info.name if info else (member_name or number), interface)
        return agent

    def queue(self, name: str) -> QueueInfo:
        q = self.queues.get(name)
        if q is None:
            q = self.queues[name] = QueueInfo(name, service_level=self.directory.service_level(name))
            self.changes.queues.add(name)
        return q

    # --- state bookkeeping -------------------------------------------------------------
    def _touch(self, agent: Agent, now: float) -> None:
        """Re-derive an agent's state; ``since`` moves only when state or reason changed."""
        state, reason = agent.derive(now)
        if (state, reason) != (agent.state, agent.reason) or not agent.since:
            agent.state, agent.reason, agent.since = state, reason, now
        self.changes.agents.add(agent.number)

    def _set_membership(self, agent: Agent, queue: str, now: float, **facts) -> None:
        m = agent.memberships.get(queue)
        if m is None:
            m = agent.memberships[queue] = Membership(queue)
            self.queue(queue).members.add(agent.number)
            self.changes.queues.add(queue)
        for k, v in facts.items():
            setattr(m, k, v)
        self._touch(agent, now)

    def _drop_membership(self, agent: Agent, queue: str, now: float) -> None:
        agent.memberships.pop(queue, None)
        if queue in self.queues:
            self.queues[queue].members.discard(agent.number)
            self.changes.queues.add(queue)
        if not agent.memberships:
            agent.phase, agent.call = "", None
        self._touch(agent, now)

    def _remove_caller(self, queue: str, uid: str) -> Caller | None:
        gone = self.callers.get(queue, {}).pop(uid, None)
        if gone is not None:
            for c in self.callers[queue].values():
                if c.position > gone.position:
                    c.position -= 1
                    self.changes.callers_set[(queue, c.uniqueid)] = c
            self.changes.callers_set.pop((queue, uid), None)
            self.changes.callers_gone.add((queue, uid))
            self.changes.queues.add(queue)
        return gone

    def _stop_ringing_for(self, uid: str, now: float, except_agent: str = "") -> None:
        for agent in self.agents.values():
            if agent.phase == RINGING and agent.call and agent.call.uniqueid == uid and agent.number != except_agent:
                agent.phase, agent.call = "", None
                self._touch(agent, now)

    def _call_of(self, ev: dict, now: float) -> AgentCall:
        uid = ev.get("Uniqueid", "")
        line = self.dialed.get(uid) or self.dialed.get(ev.get("Linkedid", ""), "")
        for callers in self.callers.values():
            if uid in callers and callers[uid].line:
                line = callers[uid].line
        return AgentCall(uniqueid=uid, queue=ev.get("Queue", ""), caller=ev.get("CallerIDNum", ""), line=line,
                         line_name=self.directory.line_name(line), channel=ev.get("DestChannel", ""),
                         started_at=now)

    # --- events ------------------------------------------------------------------------
    def apply(self, ev: dict, now: float, *, count: bool = True) -> None:
        """One AMI event. ``count=False`` replays state only (events seen during a resync)."""
        handler = _HANDLERS.get(ev.get("Event", ""))
        if handler is not None:
            handler(self, ev, now, count)

    def _newchannel(self, ev, now, count):
        if ev.get("Context") == CARRIER_CONTEXT and ev.get("Exten"):
            self.dialed[ev.get("Uniqueid", "")] = ev["Exten"]
            if len(self.dialed) > MAX_DIALED:      # Hangups missed while disconnected: forget the oldest
                del self.dialed[next(iter(self.dialed))]

    def _hangup(self, ev, now, count):
        self.dialed.pop(ev.get("Uniqueid", ""), None)

    def _caller_join(self, ev, now, count):
        queue, uid = ev.get("Queue", ""), ev.get("Uniqueid", "")
        self.queue(queue)
        line = self.dialed.get(uid) or self.dialed.get(ev.get("Linkedid", ""), "")
        old = self.callers.setdefault(queue, {}).get(uid)
        caller = Caller(uniqueid=uid, queue=queue, channel=ev.get("Channel", ""), caller=ev.get("CallerIDNum", ""),
                        joined_at=old.joined_at if old else now, position=int(ev.get("Position") or 0),
                        line=line or (old.line if old else ""), line_name=self.directory.line_name(line))
        self.callers[queue][uid] = caller
        self.changes.callers_set[(queue, uid)] = caller
        self.changes.callers_gone.discard((queue, uid))
        self.changes.queues.add(queue)
        if count:
            self.changes.count("queue", queue, self.day_of(now), "offered")

    def _caller_abandon(self, ev, now, count):
        queue, uid = ev.get("Queue", ""), ev.get("Uniqueid", "")
        self.abandoned.add((queue, uid))
        self._stop_ringing_for(uid, now)
        if count:
            self.changes.count("queue", queue, self.day_of(now), "abandoned")

    def _caller_leave(self, ev, now, count):
        queue, uid = ev.get("Queue", ""), ev.get("Uniqueid", "")
        self._remove_caller(queue, uid)
        if (queue, uid) in self.abandoned:
            self.abandoned.discard((queue, uid))
        elif count:
            self.pending_leaves[(queue, uid)] = now

    def _agent_called(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        if agent.phase != TALKING:
            agent.phase, agent.call = RINGING, self._call_of(ev, now)
            self._touch(agent, now)

    def _agent_ring_no_answer(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        if agent.phase == RINGING and agent.call and agent.call.uniqueid == ev.get("Uniqueid"):
            agent.phase, agent.call = "", None
            self._touch(agent, now)

    def _agent_connect(self, ev, now, count):
        queue, uid = ev.get("Queue", ""), ev.get("Uniqueid", "")
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        agent.phase, agent.call = TALKING, self._call_of(ev, now)
        self._touch(agent, now)
        self._stop_ringing_for(uid, now, except_agent=agent.number)
        self.pending_leaves.pop((queue, uid), None)
        self._remove_caller(queue, uid)   # normally gone already (QueueCallerLeave came first)
        if count:
            hold, day = int(ev.get("HoldTime") or 0), self.day_of(now)
            self.changes.count("queue", queue, day, "answered")
            self.changes.count("queue", queue, day, "wait_seconds", hold)
            if hold <= self.queue(queue).service_level:
                self.changes.count("queue", queue, day, "answered_in_sl")
            self.changes.count("agent", agent.number, day, "answered")

    def _agent_complete(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        wrapup = self.directory.wrapup_seconds(ev.get("Queue", ""))
        agent.phase = WRAPUP if wrapup > 0 else ""
        agent.wrapup_until = now + wrapup
        if agent.phase == "":
            agent.call = None
        self._touch(agent, now)
        if count:
            talk, day = int(ev.get("TalkTime") or 0), self.day_of(now)
            self.changes.count("queue", ev.get("Queue", ""), day, "talk_seconds", talk)
            self.changes.count("agent", agent.number, day, "talk_seconds", talk)

    def _agent_dump(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        agent.phase, agent.call = "", None
        self._touch(agent, now)

    def _member_facts(self, ev) -> dict:
        facts = {"paused": ev.get("Paused") == "1", "reason": ev.get("PausedReason", "")}
        if "Penalty" in ev:
            facts["penalty"] = int(ev.get("Penalty") or 0)
        if "Status" in ev:
            facts["device"] = int(ev.get("Status") or 0)
        if "InCall" in ev:
            facts["in_call"] = ev.get("InCall") == "1"
        for key, name in (("LastCall", "last_call"), ("LastPause", "last_pause")):
            if ev.get(key):
                facts[name] = float(ev[key])
        return facts

    def _member_update(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface") or ev.get("Location", ""), ev.get("MemberName", ""))
        self._set_membership(agent, ev.get("Queue", ""), now, **self._member_facts(ev))

    def _member_removed(self, ev, now, count):
        agent = self.agent_for(ev.get("Interface", ""), ev.get("MemberName", ""))
        self._drop_membership(agent, ev.get("Queue", ""), now)

    # --- time passing ---------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Wrap-up ends and leaves without AgentConnect become exits; nothing in Asterisk says so."""
        for (queue, uid), left in list(self.pending_leaves.items()):
            if now - left >= LEAVE_GRACE:
                del self.pending_leaves[(queue, uid)]
                self.changes.count("queue", queue, self.day_of(left), "exited")
                self._stop_ringing_for(uid, now)
        for agent in self.agents.values():
            if agent.phase == WRAPUP and agent.wrapup_until <= now:
                agent.phase, agent.call = "", None
                self._touch(agent, now)

    def next_deadline(self) -> float | None:
        """When tick() next has work to do (the listener sleeps until then)."""
        times = [t + LEAVE_GRACE for t in self.pending_leaves.values()]
        times += [a.wrapup_until for a in self.agents.values() if a.phase == WRAPUP]
        return min(times) if times else None


_HANDLERS = {
    "Newchannel": LiveModel._newchannel,
    "Hangup": LiveModel._hangup,
    "QueueCallerJoin": LiveModel._caller_join,
    "QueueCallerAbandon": LiveModel._caller_abandon,
    "QueueCallerLeave": LiveModel._caller_leave,
    "AgentCalled": LiveModel._agent_called,
    "AgentRingNoAnswer": LiveModel._agent_ring_no_answer,
    "AgentConnect": LiveModel._agent_connect,
    "AgentComplete": LiveModel._agent_complete,
    "AgentDump": LiveModel._agent_dump,
    "QueueMemberAdded": LiveModel._member_update,
    "QueueMemberStatus": LiveModel._member_update,
    "QueueMemberPause": LiveModel._member_update,
    "QueueMemberPaused": LiveModel._member_update,   # older name of QueueMemberPause
    "QueueMemberRemoved": LiveModel._member_removed,
}
