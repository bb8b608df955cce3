"""Missed calls onto the callback list: abandoned calls (except very short ones), fallback calls and
voicemails (留言; voicemail.intake puts them on at once, this job catches any it did not).

Deduplicated per caller per centre day: a second missed call of the same citizen joins the
request of the day. Withheld numbers are listed (they count) but never dialed. Idempotent:
a call already on the list is skipped, so the job may run twice. A caller who kept their place
(virtual hold, outcome ``virtual_hold``) is on the list through their own request, never again as missed.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from callbacks import rules
from db.models import Call, CallbackStatus, CallOutcome, callback_calls
from db.models.callbacks import Callback
from db.session import utcnow
from hotline.caller_id import is_withheld
from hotline.config import Settings

LOOK_BACK = dt.timedelta(hours=24)


def missed_source(call: Call, min_abandon_s: int) -> str | None:
    if call.outcome == CallOutcome.voicemail:
        return "voicemail" if call.voicemail_status is not None else None   # not decided yet: next round
    if call.outcome == CallOutcome.fallback and call.answered_at is None:
        return "fallback"
    if call.outcome == CallOutcome.abandoned:
        waited = call.wait_seconds
        if waited is None and call.ended_at and call.arrived_at:
            waited = (call.ended_at - call.arrived_at).total_seconds()
        return "abandoned" if (waited or 0) >= min_abandon_s else None
    return None


def add_missed_call(session, window: rules.Window, call: Call, source: str) -> Callback:
    """Put one missed call on the list (or onto the caller's request of the day)."""
    missed_at = call.ended_at or call.arrived_at
    day = window.local(call.arrived_at).date()
    callback = session.scalar(select(Callback).where(Callback.caller == call.caller, Callback.centre_day == day))
    if callback is None:
        withheld = is_withheld(call.caller)
        callback = Callback(caller=call.caller, centre_day=day, source=source, missed_count=0,
                            attempt_count=0, created_at=missed_at, due_at=rules.due_at(window, missed_at),
                            status=CallbackStatus.undialable if withheld else CallbackStatus.pending,
                            next_attempt_at=None if withheld else window.next_open(missed_at))
        session.add(callback)
    elif callback.status == CallbackStatus.reached and callback.reached_at and callback.reached_at < missed_at:
        # called back, then missed again the same day: back on the list, its attempts continue
        callback.status = CallbackStatus.pending
        callback.next_attempt_at = rules.next_attempt_after(window, callback.attempt_count, missed_at)
        if callback.next_attempt_at is None:
            callback.status = CallbackStatus.failed
    callback.missed_count += 1
    callback.calls.append(call)
    return callback


def collect_missed_calls(session, settings: Settings, now: dt.datetime | None = None) -> list[Callback]:
    now = now or utcnow()
    window = rules.window_of(settings)
    listed = select(callback_calls.c.call_id)
    candidates = session.scalars(
        select(Call).where(Call.ended_at.is_not(None), Call.ended_at >= now - LOOK_BACK,
                           Call.outcome.in_([CallOutcome.abandoned, CallOutcome.fallback, CallOutcome.voicemail]),
                           Call.id.not_in(listed))
        .order_by(Call.arrived_at)).all()
    touched = []
    for call in candidates:
        source = missed_source(call, settings.callback_min_abandon_s)
        if source is not None:
            touched.append(add_missed_call(session, window, call, source))
            session.flush()
    return touched
