"""``AGI(agi://host/callback_agent,<attempt channel id>)``, on the agent's channel when a callback is picked up.

Records which agent the called-back citizen reached (漏接回拨 closes the loop here).
"""
from __future__ import annotations

from sqlalchemy import select

from agi.request import AgiRequest
from db.models import CallbackAttempt
from db.repositories import agents as agent_repo
from hotline.dialplan import sip_username_of


def handle(req: AgiRequest) -> None:
    channel_id = (req.argv + [""])[0]
    attempt = req.session.scalar(select(CallbackAttempt).where(CallbackAttempt.channel_id == channel_id))
    if attempt is None:
        req.log.warning("agent picked up callback %r, which has no attempt", channel_id)
        return
    attempt.agent = agent_repo.by_sip_username(req.session, sip_username_of(req.env.get("agi_channel", "")))
    req.log.info("callback %s reached agent %s", channel_id, attempt.agent.number if attempt.agent else "-")
