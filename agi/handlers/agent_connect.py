"""``AGI(agi://host/agent_connect,<caller uniqueid>,<queue>)``, on the agent's channel at pick-up.

Runs as Queue()'s gosub, so the answer time and the agent are recorded even
when no AMI listener is running.
"""
from __future__ import annotations

from agi.request import AgiRequest
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from db.session import utcnow
from hotline.dialplan import sip_username_of


def handle(req: AgiRequest) -> None:
    caller_uid, queue, queue_start = (req.argv + ["", "", ""])[:3]
    call = call_repo.get_by_uniqueid(req.session, caller_uid) if caller_uid else None
    if call is None:
        req.log.warning("agent picked up call %r, which has no call record", caller_uid)
        return
    agent = agent_repo.by_sip_username(req.session, sip_username_of(req.env.get("agi_channel", "")))
    call.queue_joined_at = call_repo.epoch_to_utc(queue_start) or call.queue_joined_at
    call_repo.mark_answered(call, agent=agent, queue_name=queue or None, at=utcnow())
    req.log.info("call %s answered by %s after %.1fs", caller_uid,
                 agent.number if agent else req.env.get("agi_channel"), call.wait_seconds or 0)
