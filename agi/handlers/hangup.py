"""``AGI(agi://host/hangup,<HANGUPCAUSE>,<QUEUESTATUS>,<fallback>,<transfer kind>,<DIALSTATUS>,<transfer answered at>,<queue start>,<queue>,<end reason>,<agent answered at>,<MEMBERINTERFACE>,<voicemail file>,<voicemail at>,<trace>,<arrived epoch>,<recording>,<virtual hold request>)``.

The hangup handler closes the call record whoever hangs up first (rules in
calls.closing). A call that reached the dialplan's fallback while Python was
away (or while it hung) has no record yet: it gets one here, with its trace id,
arrival, recording and line from the dialplan's own facts. If this handler fails,
the dialplan parks the same facts in AstDB (calls.unrecorded). A message the citizen left
(留言) becomes an intake ticket and a callback request right here (voicemail.intake).
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.request import AgiRequest
from calls.closing import HangupFacts, close_with_facts
from db.repositories import agents as agent_repo
from db.repositories import calls as call_repo
from db.session import utcnow
from hotline.config import current_settings
from hotline.dialplan import sip_username_of
from voicemail.intake import take


def handle(req: AgiRequest) -> None:
    (cause, queue_status, fallback, transfer_kind, dial_status, transfer_answered, queue_start, queue, reason,
     agent_answered, member, voicemail, voicemail_at, trace, arrived, recording, virtual_hold) = (req.argv + [""] * 17)[:17]
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None:
        call = call_repo.open_call(req.session, uniqueid=req.uniqueid, linkedid=req.uniqueid, trace_id=trace or None,
                                   channel=req.env.get("agi_channel"), caller=req.caller,
                                   dialed_number=req.dialed_number, line=CACHE.get(req.session).line(req.dialed_number),
                                   arrived_at=call_repo.epoch_to_utc(arrived), recording_file=recording or None)
        fallback = "1"
    told_queue_start = len(req.argv) > 6   # the dialplan always passes it, empty when the caller never queued
    facts = HangupFacts(ended_at=utcnow(), cause=cause, end_reason=reason, fallback=bool(fallback), queue=queue,
                        queue_start=queue_start if told_queue_start else None, transfer_kind=transfer_kind, dial_status=dial_status,
                        transfer_answered=transfer_answered, agent_answered=agent_answered, voicemail=voicemail,
                        voicemail_at=voicemail_at, virtual_hold=virtual_hold)
    # an agent picked up but the pick-up AGI could not write it (database locked then): the dialplan knows
    agent = agent_repo.by_sip_username(req.session, sip_username_of(member)) \
        if member and call.answered_at is None and agent_answered else None
    outcome = close_with_facts(call, facts, agent=agent)
    taken = take(req.session, call, current_settings(), log=req.log)
    if taken is not None:
        outcome = call.outcome
        req.log.info("voicemail: %s, %s s", taken.status, taken.seconds if taken.seconds is not None else "-")
    req.log.info("call ended: %s, cause %s, queue status %s, dial status %s", outcome.value,
                 reason or cause or "-", queue_status or "-", dial_status or "-")
