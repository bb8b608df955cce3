"""The one outbound dialer (外呼): AMI Originate on the PBX towards the carrier trunk.

One dialer for all outbound work: an attempt has a purpose (``Purpose``): a callback
(漏接回拨, ``Callback``) or a return visit (回访, ``ReturnVisit``). Both requests have the
same lifecycle (pending → dialing → reached | pending again after the spacing | failed)
and share the concurrency limit, the pacing, the caller ID and the claim rules; only the
dialplan context the answered call runs in differs.

Every attempt is claimed in the database (row written and committed) *before* the
Originate goes out, and the Originate's ChannelId is the attempt's own id: a worker
killed mid-call leaves a claimed attempt that is never dialed again (it is marked
``lost`` later, and a new attempt may follow after the spacing). Each attempt's
outcome is what Asterisk says: OriginateResponse and the channel's hangup cause.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from callbacks import rules
from db.models import (
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackStatus,
    Purpose,
    ReturnVisit,
    TicketState,
    not_callable_because,
)
from db.session import utcnow
from hotline.ami import AmiClient
from hotline.caller_id import is_withheld
from hotline.config import Settings
from hotline.dialplan import CALLBACK_AGENT, CALLBACK_ATTEMPT, MAIN_QUEUE

TRUNK = "carrier"                 # the PJSIP endpoint of the carrier trunk (asterisk_conf/pbx/pjsip.conf)
CONTEXT = "hotline-callback"      # asterisk_conf/pbx/extensions_after_call.conf
RETURN_VISIT_CONTEXT = "hotline-return-visit"
ATTEMPT_VARIABLE = CALLBACK_ATTEMPT   # inherited (__) onto the agent's channel
AGENT_VARIABLE = CALLBACK_AGENT       # one-click: the agent's endpoint to ring first
LOST_AFTER = dt.timedelta(minutes=5)
CAUSE_GRACE_S = 2.0                    # after a failed OriginateResponse, how long its Hangup cause may lag   # a claimed attempt older than this had its worker die

# Q.850 causes (HANGUPCAUSE) → outcome; OriginateResponse Reason (enum ast_control_frame_type) as fallback
CAUSE_OUTCOME = {"17": AttemptOutcome.busy, "18": AttemptOutcome.no_answer, "19": AttemptOutcome.no_answer,
                 "21": AttemptOutcome.refused}
REASON_OUTCOME = {"3": AttemptOutcome.no_answer, "5": AttemptOutcome.busy}


def outcome_of(response: str, reason: str | None, cause: str | None) -> AttemptOutcome:
    if response == "Success":
        return AttemptOutcome.reached
    if cause in CAUSE_OUTCOME:
        return CAUSE_OUTCOME[cause]
    return REASON_OUTCOME.get(reason or "", AttemptOutcome.failed)


@dataclass(frozen=True)
class Kind:
    """What the dialer needs to know about one purpose's requests."""

    model: type                 # Callback | ReturnVisit: id, caller, status, attempt_count, next_attempt_at, reached_at
    link: str                   # the attempt's relationship to its request
    prefix: str                 # of the Originate ChannelId: cb-<id>-<n>, rv-<id>-<n>
    context: str                # where the answered call runs (asterisk_conf/pbx/extensions_after_call.conf)


KINDS = {Purpose.callback: Kind(Callback, "callback", "cb", CONTEXT),
         Purpose.return_visit: Kind(ReturnVisit, "return_visit", "rv", RETURN_VISIT_CONTEXT)}
# the statuses the dialer moves (the same values in CallbackStatus and ReturnVisitStatus)
PENDING, DIALING, REACHED, FAILED, UNDIALABLE = (CallbackStatus.pending, CallbackStatus.dialing,
                                                 CallbackStatus.reached, CallbackStatus.failed,
                                                 CallbackStatus.undialable)


def _set_status(request, value: str) -> None:
    request.status = type(request).__table__.c.status.type.enum_class(value)


def _why_not_dial(purpose: Purpose, request) -> tuple[str, str | None] | None:
    """(status, note) when a claimed request must not be dialed after all, else None. Checked at dial time."""
    if is_withheld(request.caller or ""):    # never dialed, whatever the row says
        return UNDIALABLE.value, None
    if purpose is Purpose.return_visit:
        ticket = request.ticket
        if (why := not_callable_because(ticket)) is not None:
            return "not_called", why
        if ticket.state is not TicketState.awaiting_visit:
            return "superseded", f"ticket is {ticket.state}: visited or closed by a human"
    return None


def claim(session, request_id: int, *, by: str, concurrency: int, now: dt.datetime | None = None,
          purpose: Purpose = Purpose.callback) -> CallbackAttempt | None:
    """Take the next attempt of one request, or None (not due, already out, or the dialer is full).

    The conditional UPDATE is the lock: of two workers only one moves the request
    from pending to dialing; the unique (request, number) row makes a double claim fail.
    The concurrency limit counts every purpose's calls in flight.
    """
    now = now or utcnow()
    kind = KINDS[Purpose(purpose)]
    model = kind.model
    in_flight = session.scalar(select(func.count()).select_from(CallbackAttempt)
                               .where(CallbackAttempt.outcome == AttemptOutcome.claimed))
    if in_flight >= concurrency:
        return None
    won = session.execute(
        update(model)
        .where(model.id == request_id, model.status == PENDING.value, model.attempt_count < rules.MAX_ATTEMPTS)
        .values(status=DIALING.value, attempt_count=model.attempt_count + 1)
        .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        session.rollback()
        return None
    request = session.get(model, request_id)
    session.refresh(request)
    refused = _why_not_dial(purpose, request)
    if refused is not None:
        _set_status(request, refused[0])
        request.next_attempt_at = None
        if refused[1]:
            request.note = refused[1]
        session.commit()
        return None
    attempt = CallbackAttempt(purpose=purpose, number=request.attempt_count, dialed=request.caller,
                              claimed_by=by, claimed_at=now,
                              channel_id=f"{kind.prefix}-{request.id}-{request.attempt_count}")
    setattr(attempt, kind.link, request)
    session.add(attempt)
    session.commit()                   # the claim is durable before anything is dialed
    return attempt


def finish(session, attempt: CallbackAttempt, outcome: AttemptOutcome, *, window: rules.Window,
           reason: str | None = None, cause: str | None = None, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    attempt.outcome, attempt.originate_reason, attempt.hangup_cause, attempt.ended_at = outcome, reason, cause, now
    request = attempt.request
    if outcome == AttemptOutcome.reached:
        # conditional: a return visit's AGI may have recorded the citizen's answer already
        model = type(request)
        session.execute(update(model).where(model.id == request.id, model.status == DIALING.value)
                        .values(status=REACHED.value).execution_options(synchronize_session=False))
        request.reached_at, request.next_attempt_at = request.reached_at or now, None
        session.flush()
        session.refresh(request, ["status"])
        return
    request.next_attempt_at = rules.next_attempt_after(window, request.attempt_count, now)
    _set_status(request, PENDING if request.next_attempt_at else FAILED)


def recover_lost(session, window: rules.Window, now: dt.datetime | None = None) -> int:
    """Claimed attempts whose worker died: ``lost`` (never redialed); their request goes on."""
    now = now or utcnow()
    lost = session.scalars(select(CallbackAttempt).where(CallbackAttempt.outcome == AttemptOutcome.claimed,
                                                         CallbackAttempt.claimed_at < now - LOST_AFTER)).all()
    for attempt in lost:
        finish(session, attempt, AttemptOutcome.lost, window=window, now=now)
    return len(lost)


@dataclass
class Dialer:
    """Places claimed attempts with the caller ID, concurrency and pacing of the settings."""

    settings: Settings
    ami: AmiClient
    ring_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    _last_originate: float = 0.0

    def originate(self, attempt: CallbackAttempt, agent_endpoint: str = "") -> str:
        """Send one Originate (paced); returns its ActionID, or "" when Asterisk refused it."""
        gap = self.settings.dialer_pacing_ms / 1000 - (time.monotonic() - self._last_originate)
        if gap > 0:
            self.sleep(gap)
        self._last_originate = time.monotonic()
        caller_id = self.settings.outbound_caller_id
        reply = self.ami.action(
            "Originate", Channel=f"PJSIP/{attempt.dialed}@{TRUNK}", Context=KINDS[attempt.purpose].context,
            Exten="s", Priority="1",
            CallerID=f"{caller_id} <{caller_id}>", Timeout=str(int(self.ring_seconds * 1000)), Async="true",
            ChannelId=attempt.channel_id, Variable=[f"__{ATTEMPT_VARIABLE}={attempt.channel_id}", f"{AGENT_VARIABLE}={agent_endpoint}"])
        return reply["ActionID"] if reply.get("Response") == "Success" else ""

    def wait_outcomes(self, pending: dict[str, CallbackAttempt]) -> dict[str, tuple[AttemptOutcome, str, str]]:
        """ActionID → (outcome, reason, cause) from OriginateResponse and the channel's Hangup."""
        by_channel = {a.channel_id: action_id for action_id, a in pending.items()}
        responses: dict[str, dict] = {}
        causes: dict[str, str] = {}
        deadline = time.monotonic() + self.ring_seconds + 15
        failed_at: dict[str, float] = {}    # a failed originate: wait a moment for its channel's cause
        while time.monotonic() < deadline:
            now = time.monotonic()
            done = {aid for aid, r in responses.items()
                    if r.get("Response") == "Success" or pending[aid].channel_id in causes
                    or now - failed_at.get(aid, now) > CAUSE_GRACE_S}
            if done >= set(pending):
                break
            msg = self.ami.wait_event(lambda m: (m.get("Event") == "OriginateResponse" and m.get("ActionID") in pending)
                                      or (m.get("Event") == "Hangup" and m.get("Uniqueid") in by_channel),
                                      min(0.5, max(0.05, deadline - now)))
            if msg is None:
                continue
            if msg["Event"] == "OriginateResponse":
                responses[msg["ActionID"]] = msg
                if msg.get("Response") != "Success":
                    failed_at[msg["ActionID"]] = time.monotonic()
            else:
                causes[msg["Uniqueid"]] = msg.get("Cause", "")
        results = {}
        for action_id, attempt in pending.items():
            r = responses.get(action_id, {})
            cause = causes.get(attempt.channel_id)
            results[action_id] = (outcome_of(r.get("Response", ""), r.get("Reason"), cause), r.get("Reason"), cause)
        return results


def idle_agents(ami: AmiClient, queue: str = MAIN_QUEUE) -> int:
    """Members of the queue free to take a call now: not in use (Status 1) and not paused."""
    events = ami.action_list("QueueStatus", Queue=queue)
    return sum(1 for e in events if e.get("Event") == "QueueMember" and e.get("Status") == "1"
               and e.get("Paused", "0") == "0")
