"""``AGI(agi://host/agent_queues)``: a softphone's feature code (*21 log in, *22 log out).

Python decides which queues the agent joins — its QueueMember rows with their
penalties — and the dialplan runs AddQueueMember / RemoveQueueMember itself.
"""
from __future__ import annotations

from agi.request import AgiRequest
from db.repositories import agents as agent_repo
from hotline import dialplan as v
from hotline.dialplan import sip_username_of
from queue_logic.directory import member_name


def handle(req: AgiRequest) -> None:
    sip = sip_username_of(req.env.get("agi_channel", ""))
    agent = agent_repo.by_sip_username(req.session, sip)
    if agent is None or not agent.active:
        req.log.warning("feature code from %r, which is no active agent", sip)
        req.set_variable(v.AGENT_QUEUES, "")
        return
    queues = sorted((m.queue.name, m.penalty) for m in agent.memberships)
    req.set_variable(v.AGENT_QUEUES, "&".join(f"{q}:{p}" for q, p in queues))
    req.set_variable(v.AGENT_MEMBER, member_name(agent.number, agent.name))
    req.log.info("agent %s (%s) feature code: queues %s", agent.number, sip, queues or "none")
