"""The listener's side of the command protocol (queue_logic.commands): rules, then AMI actions.

handler → rules → action: look the agent up, check the rule (a pause needs a
logged-in agent, a spy needs a call), then send the small AMI actions of
queue_logic.ami_actions through the one AMI connection.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from queue_logic import ami_actions as act
from queue_logic.commands import SPY_MODES, CommandError
from queue_logic.directory import AgentInfo
from queue_logic.model import LiveModel
from queue_logic.states import PAUSE_REASONS, RINGING, TALKING

log = logging.getLogger("queue_logic.commands")

SendAction = Callable[[dict], Awaitable[dict]]


class CommandExecutor:
    def __init__(self, model: LiveModel, send: SendAction, resync: Callable[[], Awaitable[None]]):
        self.model, self.send, self.resync = model, send, resync

    async def execute(self, command: dict) -> dict:
        """The reply for one command (never raises: a failure is a reply too)."""
        try:
            handler = getattr(self, f"_do_{command.get('action')}", None)
            if handler is None:
                raise CommandError("unknown_action", f"unknown command {command.get('action')!r}", 400)
            return {"id": command.get("id"), "ok": True, **(await handler(command) or {})}
        except CommandError as e:
            return {"id": command.get("id"), "ok": False, "error": e.error, "message": e.problem,
                    "status": e.status}
        except asyncio.TimeoutError:
            return {"id": command.get("id"), "ok": False, "error": "asterisk_timeout",
                    "message": "Asterisk did not answer in time", "status": 504}

    # --- rules -----------------------------------------------------------------------------
    def _agent(self, command: dict) -> AgentInfo:
        number = str(command.get("agent") or "")
        info = self.model.directory.agents.get(number)
        if info is None:
            raise CommandError("unknown_agent", f"there is no active agent {number!r}", 404)
        return info

    def _current_queues(self, info: AgentInfo) -> set[str]:
        agent = self.model.agents.get(info.number)
        return set(agent.memberships) if agent else set()

    async def _run(self, actions: list[dict]) -> list[str]:
        done = []
        for action in actions:
            reply = await self.send(action)
            if not act.accepted(action, reply):
                raise CommandError("asterisk_refused", f"{action['Action']} {action.get('Queue', '')}: "
                                   f"{reply.get('Message') or 'refused'}", 502)
            done.append(action.get("Queue", ""))
        return done

    # --- commands ----------------------------------------------------------------------------
    async def _do_ping(self, command: dict) -> dict:
        return {"pong": True}

    async def _do_resync(self, command: dict) -> dict:
        await self.resync()
        return {}

    async def _do_login(self, command: dict) -> dict:
        info = self._agent(command)
        if not info.queues:
            raise CommandError("no_queues", f"agent {info.number} belongs to no queue", 409)
        await self._run(act.login_plan(info, self._current_queues(info)))
        return {"agent": info.number, "queues": [q for q, _ in info.queues]}

    async def _do_logout(self, command: dict) -> dict:
        info = self._agent(command)
        await self._run(act.logout_plan(info, self._current_queues(info)))
        return {"agent": info.number}

    async def _do_pause(self, command: dict) -> dict:
        info = self._agent(command)
        reason = command.get("reason") or "break"
        if reason not in PAUSE_REASONS:
            raise CommandError("bad_reason", f"pause reason must be one of {', '.join(PAUSE_REASONS)}", 400)
        self._require_logged_in(info)
        await self._run([act.queue_pause(info, True, reason)])
        return {"agent": info.number, "reason": reason}

    async def _do_unpause(self, command: dict) -> dict:
        info = self._agent(command)
        self._require_logged_in(info)
        await self._run([act.queue_pause(info, False)])
        return {"agent": info.number}

    async def _do_spy(self, command: dict) -> dict:
        info = self._agent(command)
        mode, supervisor = command.get("mode") or "listen", command.get("supervisor") or ""
        if mode not in SPY_MODES:
            raise CommandError("bad_mode", f"mode must be one of {', '.join(SPY_MODES)}", 400)
        if not supervisor:
            raise CommandError("no_supervisor", "whose phone should ring? (supervisor)", 400)
        agent = self.model.agents.get(info.number)
        if agent is None or agent.state not in (TALKING, RINGING):
            raise CommandError("not_on_call", f"agent {info.number} is not on a call", 409)
        channel_id = f"spy-{command.get('id')}"
        await self._run([act.spy(supervisor, info, mode, channel_id)])
        return {"agent": info.number, "mode": mode, "channel_id": channel_id,
                "endpoint": act.supervisor_endpoint(supervisor)}

    async def _do_surge_preview(self, command: dict) -> dict:
        supervisor, prompt = command.get("supervisor") or "", command.get("prompt") or ""
        if not supervisor or not prompt:
            raise CommandError("bad_request", "surge_preview needs supervisor and prompt", 400)
        channel_id = f"preview-{command.get('id')}"
        await self._run([act.surge_preview(supervisor, prompt, channel_id)])
        return {"channel_id": channel_id}

    def _require_logged_in(self, info: AgentInfo) -> None:
        if not self._current_queues(info):
            raise CommandError("not_logged_in", f"agent {info.number} is not logged in", 409)
