"""Keep my place and call me back (回拨, virtual hold).

When a queued caller's expected wait (their position × the queue's recent mean time to answer)
is over the offer threshold (``Settings.virtual_hold_offer_s``, the dialplan global VHOLD_OFFER_S), the dialplan offers
key 1 (call me back on this number) and key 2 (on a number I key, callbacks/callback_number.py); a caller
whose number is withheld is offered key 2 only (asterisk_conf/pbx/extensions_callbacks.conf). Once
the request is made the caller hangs up (call outcome ``virtual_hold``, 回拨预约) and a placeholder
Local channel takes their place in the same app_queue queue, ahead of everyone who called
later. The agent who answers the placeholder hears whom they are calling back, then the
citizen is dialed through the carrier trunk with caller ID 12345. No answer: one more try,
then the request stays on the callback list (漏接回拨, source ``virtual_hold``) for the dialer.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import select

from callbacks import rules
from callbacks.callback_number import callback_number
from db.models import AttemptOutcome, Call, Callback, CallbackAttempt, CallbackStatus
from db.session import utcnow
from hotline.caller_id import is_withheld
from hotline.config import Settings

SOURCE = "virtual_hold"
RECENT = dt.timedelta(minutes=30)     # the answer times the estimate looks at
MIN_SAMPLES = 3                       # fewer answered calls than this: no estimate, no offer
TRIES = 2                             # dials per agent connection (the first and one retry)
DIAL_OUTCOME = {"ANSWER": AttemptOutcome.reached, "NOANSWER": AttemptOutcome.no_answer,
                "BUSY": AttemptOutcome.busy, "CANCEL": AttemptOutcome.no_answer}


def expected_wait(position: int, answer_seconds: list[float]) -> float | None:
    """Seconds a caller at ``position`` (1 = next) may wait: position × the mean time to answer.

    None when there are too few recent answers to say.
    """
    if position < 1 or len(answer_seconds) < MIN_SAMPLES:
        return None
    return position * statistics.fmean(answer_seconds)


def recent_answer_seconds(session, queue: str, now: dt.datetime | None = None) -> list[float]:
    """The waits of the calls the queue's agents answered in the last ``RECENT``."""
    now = now or utcnow()
    return [w for w in session.scalars(
        select(Call.wait_seconds).where(Call.queue_name == queue, Call.answered_at.is_not(None),
                                        Call.answered_at >= now - RECENT, Call.wait_seconds.is_not(None)))]


def should_offer(session, threshold_s: float, queue: str, position: int, now: dt.datetime | None = None
                 ) -> tuple[bool, float | None]:
    """Offer when the expected wait is over ``threshold_s`` (the dialplan's VHOLD_OFFER_S; 0 = never)."""
    if threshold_s <= 0:
        return False, None
    wait = expected_wait(position, recent_answer_seconds(session, queue, now))
    return wait is not None and wait > threshold_s, wait


def number_to_call(call: Call, keyed: str = "") -> str | None:
    """Whom the request calls back: the number on the call (key 1, nothing keyed), else the keyed one (key 2)
    when it is a Chinese phone number; None when there is no number to call back."""
    if not keyed or keyed == call.caller:
        return None if is_withheld(call.caller) else call.caller
    return callback_number(keyed)


def request(session, settings: Settings, call: Call, now: dt.datetime | None = None, *,
            number: str | None = None) -> Callback:
    """The caller kept their place: the request of the day for the number to call back (``number``, the one
    they keyed; the number on the call by default), or a new one, held for the placeholder."""
    now = now or utcnow()
    number = number or call.caller
    window = rules.window_of(settings)
    day = window.local(call.arrived_at).date()
    callback = session.scalar(select(Callback).where(Callback.caller == number, Callback.centre_day == day))
    if callback is None:
        callback = Callback(caller=number, centre_day=day, source=SOURCE, missed_count=0, attempt_count=0,
                            created_at=now, due_at=rules.due_at(window, now))
        session.add(callback)
    # dialing: the placeholder holds it, the dialer leaves it alone until the placeholder is done
    callback.status, callback.next_attempt_at = CallbackStatus.dialing, None
    callback.missed_count += 1
    if call not in callback.calls:
        callback.calls.append(call)    # on the list through this request: the missed-call job skips the call
    session.flush()
    return callback


def record_try(session, settings: Settings, callback: Callback, dial_status: str, cause: str, *,
               last: bool, agent=None, now: dt.datetime | None = None) -> AttemptOutcome:
    """One dial of the citizen from the placeholder's agent; after the last failed one, back on the list."""
    now = now or utcnow()
    outcome = DIAL_OUTCOME.get(dial_status, AttemptOutcome.failed)
    callback.attempt_count += 1
    session.add(CallbackAttempt(callback=callback, number=callback.attempt_count, dialed=callback.caller,
                                claimed_by=SOURCE, claimed_at=now, ended_at=now, outcome=outcome,
                                hangup_cause=cause or None, agent=agent,
                                channel_id=f"vh-{callback.id}-{callback.attempt_count}"))
    if outcome is AttemptOutcome.reached:
        callback.status, callback.reached_at, callback.next_attempt_at = CallbackStatus.reached, now, None
    elif last:
        callback.next_attempt_at = rules.next_attempt_after(rules.window_of(settings), callback.attempt_count, now)
        callback.status = CallbackStatus.pending if callback.next_attempt_at else CallbackStatus.failed
    session.flush()
    return outcome


def release(session, settings: Settings, callback: Callback, now: dt.datetime | None = None) -> bool:
    """The placeholder is gone while it still held the request (no agent in time, the agent left,
    a reload): the request goes back on the callback list for the dialer. False when it was done."""
    if callback.status != CallbackStatus.dialing:
        return False
    now = now or utcnow()
    callback.next_attempt_at = rules.next_attempt_after(rules.window_of(settings), callback.attempt_count, now)
    callback.status = CallbackStatus.pending if callback.next_attempt_at else CallbackStatus.failed
    session.flush()
    return True
