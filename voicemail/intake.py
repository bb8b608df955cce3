"""A recorded message (留言) → an intake ticket with its recording, and a callback request.

Runs at hang-up in the FastAGI hangup handler, and later from the rq job for calls whose
facts were parked in AstDB (Python or the database away when the message ended). Idempotent:
a call whose ``voicemail_status`` is set is left alone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from callbacks import rules
from callbacks.collect import add_missed_call
from db.models import Call, CallOutcome, Ticket, TicketChannel
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.media import AudioStats, audio_stats
from tickets.context import Actor
from tickets.errors import TicketError
from tickets.intake import PHONE, create_ticket

LOG = logging.getLogger(__name__)

ACTOR = Actor("voicemail", "system")     # who wrote the ticket (受理人): the hotline's voicemail
CATEGORY = "consultation"                # until an agent who listened says better
KEPT, TOO_SHORT, SILENT, MISSING, ERROR = "kept", "too_short", "silent", "missing", "error"
DROPPED = (TOO_SHORT, SILENT, MISSING)


@dataclass(frozen=True)
class Taken:
    status: str                 # KEPT, a DROPPED reason, or ERROR
    seconds: float | None = None
    ticket: Ticket | None = None


def judge(stats: AudioStats | None, settings: Settings) -> str:
    """KEPT, or why the message is dropped."""
    if stats is None:
        return MISSING
    if stats.seconds < settings.voicemail_min_s:
        return TOO_SHORT
    if stats.rms_db < settings.voicemail_silent_below_db:
        return SILENT
    return KEPT


def take(session: Session, call: Call, settings: Settings, log: logging.Logger | logging.LoggerAdapter = LOG
         ) -> Taken | None:
    """Decide about the call's message; None when it has none or was already decided. Flushes.

    ``log``: where the decision is logged (the AGI passes its per-call logger).
    """
    if not call.voicemail_file or call.voicemail_status is not None:
        return None
    path = Path(call.voicemail_file)
    try:
        stats = audio_stats(path) if path.is_file() and path.stat().st_size > 44 else None   # 44: a bare WAV header
    except HotlineError as exc:    # sox missing or the file unreadable: keep it, and the citizen is called back
        log.error("voicemail of call %s could not be measured, kept as %s: %s", call.uniqueid, path, exc)
        call.voicemail_status = ERROR
        add_missed_call(session, rules.window_of(settings), call, "voicemail")
        session.flush()
        return Taken(ERROR)
    status = judge(stats, settings)
    call.voicemail_seconds = round(stats.seconds, 2) if stats is not None else None
    call.voicemail_status = status
    if status != KEPT:
        path.unlink(missing_ok=True)
        if call.outcome == CallOutcome.voicemail:     # no message: a missed call like any other
            call.outcome = CallOutcome.abandoned
        log.info("voicemail of call %s from %s dropped: %s (%s s, %s dBFS)", call.uniqueid, call.caller, status,
                 _fmt(stats.seconds if stats else None), _fmt(stats.rms_db if stats else None))
        return Taken(status, call.voicemail_seconds)
    if call.answered_at is None and call.outcome not in (CallOutcome.fallback, None):
        call.outcome = CallOutcome.voicemail
    ticket = None
    try:   # create_ticket validates everything before it adds anything
        ticket = create_ticket(session, _draft(call, settings.voicemail_topic), ACTOR, calls=[call],
                               now=call.ended_at, timezone=settings.timezone)
    except TicketError as exc:     # a setting that cannot be used (the topic): the message stays, logged
        call.voicemail_status = ERROR
        log.error("voicemail of call %s kept as %s but no ticket was made: %s", call.uniqueid, path, exc)
    add_missed_call(session, rules.window_of(settings), call, "voicemail")
    session.flush()
    log.info("voicemail of call %s from %s: %s s → ticket %s, on the callback list", call.uniqueid, call.caller,
             _fmt(stats.seconds), ticket.number if ticket else "-")
    return Taken(call.voicemail_status, call.voicemail_seconds, ticket)


def _draft(call: Call, topic: str) -> dict:
    caller = call.caller if PHONE.match(call.caller or "") else None   # a withheld number (号码隐藏) is no phone
    seconds = f"{call.voicemail_seconds:.0f}"
    return {
        "channel": TicketChannel.voicemail.value,
        "category": CATEGORY,
        "topic": topic,
        "caller_phone": caller,
        "line": call.line.number if call.line is not None else None,
        "description": f"留言 {seconds} 秒，请听录音后补充诉求内容。Voicemail of {seconds} s: listen to the "
                       f"recording and write down what the citizen asks.",
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
