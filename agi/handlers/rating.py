"""``AGI(agi://host/rating)``: after the agent hung up, ask the citizen to rate the call (一次一评).

Runs on the citizen's channel (app_queue option ``c`` keeps it in the dialplan when the
agent leaves). The rating goes on the call and on every ticket made from it.
"""
from __future__ import annotations

from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from calls import rating
from db.repositories import calls as call_repo
from db.session import utcnow
from hotline.config import current_settings


def handle(req: AgiRequest) -> None:
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None or call.answered_at is None or call.ended_at is not None:
        return
    call.rating_offered_at = utcnow()        # the talk ended here, whatever follows
    asked = rating.is_sampled(call.uniqueid, current_settings().rating_share)
    req.session.commit()
    if not asked:
        return
    channel = AgiChannel(req.agi)
    channel.set_language(call.language or "zh")
    value = rating.ask(channel)
    call.rating = value
    for ticket in call.tickets:
        ticket.call_rating = value
    req.session.commit()
    req.log.info("rating: %s", value if value is not None else "none")
