"""Closing a call record from the facts the dialplan knows at hangup (挂机).

The same rules whether the facts arrive at once (the hangup AGI) or later from
AstDB (calls.unrecorded, when the handler failed or Python was away), so a
record written late says the same as one written on time. A call that never
joined a queue (self-served, or hung up during the menu) has no queue and no wait.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.models import Call, CallOutcome
from db.repositories import calls as call_repo


@dataclass(frozen=True)
class HangupFacts:
    ended_at: dt.datetime
    cause: str = ""               # HANGUPCAUSE (Q.850 number)
    end_reason: str = ""          # the dialplan's own reason (max_duration), else empty
    fallback: bool = False        # the call took the dialplan's no-Python route
    queue: str = ""               # HOTLINE_CURRENT_QUEUE: the last queue it waited in
    queue_start: str | None = ""  # HOTLINE_QUEUE_START (epoch.ms): "" = never joined a queue; None = not told
    agent_answered: str = ""      # SHARED HOTLINE_AGENT_ANSWERED (epoch.ms): an agent picked up
    transfer_kind: str = ""
    dial_status: str = ""
    transfer_answered: str = ""   # epoch.ms the transfer target answered
    voicemail: str = ""           # HOTLINE_VOICEMAIL: the file Record() wrote the citizen's message to (留言)
    voicemail_at: str = ""        # HOTLINE_VOICEMAIL_AT (epoch.ms): the caller left the queue for the message
    virtual_hold: str = ""        # HOTLINE_VHOLD_ID: the callback request that kept the caller's place (回拨预约)


def outcome_of(call: Call, *, fallback: bool, transfer_kind: str, dial_status: str,
               voicemail: str = "", virtual_hold: str = "") -> CallOutcome:
    if fallback:
        return CallOutcome.fallback
    if call.answered_at is not None:          # an agent took it (even after a failed transfer)
        return CallOutcome.answered
    if virtual_hold:                           # the request was made: a placeholder keeps the place, never abandoned
        return CallOutcome.virtual_hold
    if transfer_kind and dial_status == "ANSWER":
        return CallOutcome(transfer_kind)      # transferred | emergency | self_served
    if voicemail:                              # provisional: voicemail.intake makes it abandoned if dropped
        return CallOutcome.voicemail
    return CallOutcome.abandoned


def close_with_facts(call: Call, facts: HangupFacts, *, agent=None) -> CallOutcome:
    """Queue, answer, wait and talk from the dialplan's own variables; then the end and the outcome."""
    joined = call_repo.epoch_to_utc(facts.queue_start)
    if call.answered_at is None:
        answered = call_repo.epoch_to_utc(facts.agent_answered)
        if joined is not None:
            call.queue_joined_at = joined
            call.queue_name = facts.queue or call.queue_name   # where the citizen waited last (overflow included)
        elif facts.queue_start is not None:                   # never joined a queue: no queue, no wait
            call.queue_joined_at = None
            call.queue_name = None
            call.wait_seconds = None
        if answered is not None:                              # picked up, but the pick-up AGI did not record it
            call_repo.mark_answered(call, agent=agent, queue_name=facts.queue or None, at=answered)
    if facts.voicemail:
        call.voicemail_file = facts.voicemail
    outcome = outcome_of(call, fallback=facts.fallback, transfer_kind=facts.transfer_kind,
                         dial_status=facts.dial_status, voicemail=facts.voicemail,
                         virtual_hold=facts.virtual_hold)
    call_repo.close_call(call, outcome=outcome, hangup_cause=(facts.end_reason or facts.cause or None),
                         at=facts.ended_at)
    left_for_voicemail = call_repo.epoch_to_utc(facts.voicemail_at)
    if call.answered_at is None and call.queue_joined_at is not None and left_for_voicemail is not None:
        # the wait ended when the caller chose to leave a message, not after the message
        call.wait_seconds = round(max((left_for_voicemail - call.queue_joined_at).total_seconds(), 0), 3)
    transfer_answered = call_repo.epoch_to_utc(facts.transfer_answered)
    if outcome in (CallOutcome.transferred, CallOutcome.emergency, CallOutcome.self_served) and transfer_answered:
        call.talk_seconds = round((call.ended_at - transfer_answered).total_seconds(), 3)
    return outcome
