"""``AGI(agi://host/hangup,<HANGUPCAUSE>,<QUEUESTATUS>,<fallback flag>)``: the hangup handler.

Closes the call record whoever hangs up first. A call that reached the
dialplan's fallback while Python was away has no record yet: it gets one here.
"""
from __future__ import annotations

from agi.request import AgiRequest
from db.models import CallOutcome
from db.repositories import calls as call_repo
from db.session import utcnow


def handle(req: AgiRequest) -> None:
    cause, queue_status, fallback = (req.argv + ["", "", ""])[:3]
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None:
        call = call_repo.open_call(req.session, uniqueid=req.uniqueid, linkedid=req.uniqueid, trace_id=None,
                                   channel=req.env.get("agi_channel"), caller=req.caller,
                                   dialed_number=req.dialed_number, line=None, arrived_at=None,
                                   recording_file=None)
        fallback = "1"
    if fallback:
        outcome = CallOutcome.fallback
    elif call.answered_at is not None:
        outcome = CallOutcome.answered
    else:
        outcome = CallOutcome.abandoned
    call_repo.close_call(call, outcome=outcome, hangup_cause=cause or None, at=utcnow())
    req.log.info("call ended: %s, cause %s, queue status %s", outcome.value, cause or "-", queue_status or "-")
