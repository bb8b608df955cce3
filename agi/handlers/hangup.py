"""``AGI(agi://host/hangup,<HANGUPCAUSE>,<QUEUESTATUS>,<fallback>,<transfer kind>,<DIALSTATUS>,<transfer answered at>,<queue start>,<queue>)``.

The hangup handler closes the call record whoever hangs up first. A call that
reached the dialplan's fallback while Python was away has no record yet: it
gets one here.
"""
from __future__ import annotations

from agi.request import AgiRequest
from db.models import CallOutcome
from db.repositories import calls as call_repo
from db.session import utcnow


def outcome_of(call, *, fallback: bool, transfer_kind: str, dial_status: str) -> CallOutcome:
    if fallback:
        return CallOutcome.fallback
    if call.answered_at is not None:          # an agent took it (even after a failed transfer)
        return CallOutcome.answered
    if transfer_kind and dial_status == "ANSWER":
        return CallOutcome(transfer_kind)      # transferred | emergency | self_served
    return CallOutcome.abandoned


def handle(req: AgiRequest) -> None:
    cause, queue_status, fallback, transfer_kind, dial_status, transfer_answered, queue_start, queue = \
        (req.argv + [""] * 8)[:8]
    call = call_repo.get_by_uniqueid(req.session, req.uniqueid)
    if call is None:
        call = call_repo.open_call(req.session, uniqueid=req.uniqueid, linkedid=req.uniqueid, trace_id=None,
                                   channel=req.env.get("agi_channel"), caller=req.caller,
                                   dialed_number=req.dialed_number, line=None, arrived_at=None,
                                   recording_file=None)
        fallback = "1"
    if call.answered_at is None:  # an answered call got its queue start and queue at pick-up
        call.queue_joined_at = call_repo.epoch_to_utc(queue_start) or call.queue_joined_at
        call.queue_name = queue or call.queue_name     # where the citizen gave up (overflow included)
    outcome = outcome_of(call, fallback=bool(fallback), transfer_kind=transfer_kind, dial_status=dial_status)
    call_repo.close_call(call, outcome=outcome, hangup_cause=cause or None, at=utcnow())
    answered_at = call_repo.epoch_to_utc(transfer_answered)
    if outcome in (CallOutcome.transferred, CallOutcome.emergency, CallOutcome.self_served) and answered_at:
        call.talk_seconds = round((call.ended_at - answered_at).total_seconds(), 3)
    req.log.info("call ended: %s, cause %s, queue status %s, dial status %s", outcome.value, cause or "-",
                 queue_status or "-", dial_status or "-")
