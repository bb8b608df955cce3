"""Call records (来电记录), looked up by the ids Asterisk and the carrier give us."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Call
from db.session import utcnow


def get_by_uniqueid(session: Session, uniqueid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.uniqueid == uniqueid))


def latest_by_trace_id(session: Session, trace_id: str) -> Call | None:
    """The newest call carrying the carrier's correlation id (a retry reuses it)."""
    return session.scalar(
        select(Call)
        .where(Call.trace_id == trace_id)
        .order_by(Call.arrived_at.desc(), Call.id.desc())
        .limit(1)
    )


# --- the call's life: opened by the inbound AGI, answered at pick-up, closed at hangup ---
def open_call(session: Session, *, uniqueid: str, linkedid: str | None, trace_id: str | None,
              channel: str | None, caller: str, dialed_number: str, line, arrived_at, recording_file) -> Call:
    """The call record for ``uniqueid``, created on first contact; a second inbound AGI reuses it."""
    call = get_by_uniqueid(session, uniqueid)
    if call is None:
        call = Call(uniqueid=uniqueid, arrived_at=arrived_at or utcnow())
        session.add(call)
    call.linkedid = linkedid
    call.trace_id = trace_id or call.trace_id
    call.channel = channel
    call.caller = caller or ""
    call.dialed_number = dialed_number or ""
    call.line_id = line.id if line is not None else None   # a Line or a routing snapshot's LineInfo
    call.line_mode = line.mode if line is not None else None
    call.department_id = line.department_id if line is not None else None
    call.language = line.language if line is not None else call.language or "zh"
    call.recording_file = recording_file or call.recording_file
    return call


def mark_answered(call: Call, *, agent, queue_name: str | None, at) -> None:
    """The agent picked up: answer time, agent and the wait (排队等待时长)."""
    if call.answered_at is not None:  # the AGI may run twice; the first pick-up counts
        return
    call.answered_at = at
    call.agent = agent
    if queue_name:
        call.queue_name = queue_name
    started = call.queue_joined_at or call.arrived_at
    call.wait_seconds = round((at - started).total_seconds(), 3)


def close_call(call: Call, *, outcome, hangup_cause: str | None, at) -> None:
    """Hangup: end time, outcome, talk time; a call closed twice keeps its first close."""
    if call.ended_at is not None:
        return
    call.ended_at = at
    call.outcome = outcome
    call.hangup_cause = hangup_cause
    if call.answered_at is not None:  # talking ended when the agent hung up, not after the rating
        call.talk_seconds = round(((call.rating_offered_at or at) - call.answered_at).total_seconds(), 3)
    elif call.queue_joined_at is not None:
        call.wait_seconds = round((at - call.queue_joined_at).total_seconds(), 3)


def epoch_to_utc(value: str | None):
    """``"1795320446.123"`` (the dialplan's STRFTIME %s.%3q) → naive UTC datetime; None when unusable."""
    try:
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        return None
