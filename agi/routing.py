"""Where an inbound call goes, decided from the number the citizen dialed (DNIS).

Every configured number is a line with a mode (号码整合方式, docs/domain.md §1):

- main (12345 itself) and unknown numbers: welcome, optional menu, the 12345 queue;
- merged (整体并入): "this number is now 12345" while the notice window lasts, then 12345;
- dual (双号并行): the line's own greeting, then the 12345 flow;
- self_service (互联互通): the line's menu offers the department system's self-service;
- sub_centre (设分中心): one-key transfer to the department's own centre while it is open;
- emergency (110/119/120/122): straight to the emergency trunk, nothing played first.

The decision is pure: it reads a configuration snapshot (agi.config_snapshot)
and the context (time, prompt lookups); the inbound handler applies it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable

from agi.business_hours import is_open
from agi.config_snapshot import LineInfo, Snapshot
from db.models import LineMode
from hotline.dialplan import MAIN_NUMBER, MAIN_QUEUE

# what a transfer that is answered means for the call record
TRANSFERRED, EMERGENCY, SELF_SERVED = "transferred", "emergency", "self_served"


@dataclass(frozen=True)
class Route:
    kind: str                               # "queue" | "transfer": dialplan context hotline-route-<kind>
    queue: str = MAIN_QUEUE
    queue_timeout: int | None = None        # the wait's limit: then the overflow queue, or voicemail offered
    overflow_queue: str | None = None
    line: LineInfo | None = None
    prompts: tuple[str, ...] = ()           # played in order before the menu or the route
    menu: str | None = None                 # IVR menu to run after the prompts
    transfer_target: str | None = None      # dial string, for kind "transfer"
    transfer_kind: str | None = None        # TRANSFERRED | EMERGENCY | SELF_SERVED
    language: str = "zh"
    reason: str = ""                        # for the log


@dataclass(frozen=True)
class Context:
    """What the decision needs besides the line: time, switches and lookups."""

    local_now: dt.datetime                                  # centre's local time (business hours, notices)
    prompt_exists: Callable[[str, str], bool] = lambda lang, name: True


def decide(config: Snapshot, dialed_number: str, ctx: Context) -> Route:
    line = config.line(dialed_number)
    main = config.line(MAIN_NUMBER)
    if line is None:
        return _main_flow(config, main, None, ctx, f"{dialed_number or '(none)'} is not a configured line")
    if not line_is_active(line, ctx.local_now):  # as if not configured; the dialed number is still recorded
        return _main_flow(config, main, None, ctx, f"line {line.number} is outside its active window")

    mode = LineMode(line.mode)
    if mode == LineMode.emergency:
        if line.transfer_target:
            return Route("transfer", line=line, transfer_target=line.transfer_target, transfer_kind=EMERGENCY,
                         reason=f"emergency line {line.number}")
        return _main_flow(config, main, line, ctx, f"emergency line {line.number} has no trunk configured!")
    if mode == LineMode.sub_centre:
        if line.transfer_target and is_open(line.business_hours, ctx.local_now, config.calendar):
            return Route("transfer", line=line, transfer_target=line.transfer_target, transfer_kind=TRANSFERRED,
                         prompts=("hotline/transfer-subcentre",), reason=f"sub-centre {line.number} open")
        route = _main_flow(config, main, line, ctx, f"sub-centre {line.number} closed or without target")
        return replace(route, prompts=("hotline/after-hours", *route.prompts))
    if mode == LineMode.merged:
        route = _main_flow(config, main, line, ctx, f"merged line {line.number}")
        if line.notice_until is not None and ctx.local_now.date() <= line.notice_until:
            route = replace(route, prompts=("hotline/merged-notice", *route.prompts))
        return route
    if mode in (LineMode.dual, LineMode.self_service):
        # the line's own greeting, then its own menu if it has one, else straight to the agents
        route = _main_flow(config, main, line, ctx, f"{mode.value} line {line.number}")
        greeting = line.greeting if line.greeting and ctx.prompt_exists(line.language, line.greeting) \
            else "greeting-dual"
        menu = line.ivr_menu if config.menu_enabled(line) else None
        return replace(route, prompts=(f"hotline/{greeting}",), menu=menu)
    return _main_flow(config, main, line, ctx, f"line {line.number} ({mode.value})")


def line_is_active(line: LineInfo, now: dt.datetime) -> bool:
    if not line.active:
        return False
    if line.active_from and now < line.active_from:
        return False
    if line.active_until and now >= line.active_until:
        return False
    return True


def queue_route(config: Snapshot, queue_name: str, **kw) -> Route:
    """Route to ``queue_name`` with its overflow; an unknown queue falls back to 12345 (logged by reason)."""
    queue = config.queues.get(queue_name)
    reason = kw.pop("reason", "")
    if queue is None and queue_name != MAIN_QUEUE:
        reason += f"; queue {queue_name} does not exist, using {MAIN_QUEUE}"
        queue_name, queue = MAIN_QUEUE, config.queues.get(MAIN_QUEUE)
    overflow = queue.overflow if queue is not None else None
    return Route("queue", queue=queue_name, overflow_queue=overflow,
                 queue_timeout=queue.max_wait_seconds if queue is not None else None,
                 reason=reason, **kw)


def _main_flow(config: Snapshot, main: LineInfo | None, line: LineInfo | None, ctx: Context,
               reason: str) -> Route:
    """The plain 12345 flow, tagged with ``line``: its menu, whose prompt is the greeting, or the
    welcome when menus are off; then its queue."""
    queue_name = (line.queue_name if line is not None and line.queue_name else None) \
        or (main.queue_name if main is not None else None) or MAIN_QUEUE
    menu = main.ivr_menu if config.menu_enabled(main) else None
    language = line.language if line is not None else (main.language if main is not None else "zh")
    return queue_route(config, queue_name, line=line, prompts=() if menu else ("hotline/welcome",), menu=menu,
                       language=language, reason=reason)
