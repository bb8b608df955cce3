"""Apply a configuration change to running Asterisk instances without a restart (配置热加载).

Queues, members and agent endpoints are rendered from the database
(``render.agents_and_queues``) into queues.conf and pjsip.conf, then only the
modules concerned reload: ``app_queue`` keeps waiting callers, calls in
progress and the dynamic (logged-in) members; ``res_pjsip`` keeps established
calls. The carrier simulator is re-rendered too, so a new agent's simulated
softphone registers. (The callpath helper adds its own reload of app_queue;
this one is the configuration's, and the two may be merged.)
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from db.session import session_factory_for, session_scope
from hotline.config import Settings
from ops.asterisk import binary, render

log = logging.getLogger(__name__)

QUEUE_RELOAD = "module reload app_queue.so"
PJSIP_RELOAD = "module reload res_pjsip.so"


def apply_config(settings: Settings, kinds: Iterable[str]) -> list[str]:
    """Re-render and reload what ``kinds`` (queue, agent, ...) touch; returns the CLI commands run."""
    kinds = set(kinds)
    if not kinds & {"queue", "agent"}:
        return []
    pbx, carrier = render.instances(settings, binary.locate(settings.asterisk_root))
    with session_scope(session_factory_for(settings.database_url)) as session:
        agents, queues = render.agents_and_queues(session)
        supervisors = render.supervisor_phones(settings, session)
    done = []
    if pbx.is_running():
        pbx.render(render.pbx_context(settings, agents, queues, supervisors))
        commands = [QUEUE_RELOAD] + ([PJSIP_RELOAD] if "agent" in kinds else [])
        for command in commands:
            pbx.cli(command)
            done.append(f"pbx: {command}")
    if "agent" in kinds and carrier.is_running():
        carrier.render(render.carrier_context(settings, agents, settings.softphones, supervisors))
        carrier.cli(PJSIP_RELOAD)
        done.append(f"carrier: {PJSIP_RELOAD}")
    return done
