"""The phone return visit's questions (回访按键) and the citizen's answer put on the ticket as the system.

See ``tickets.return_visits`` for the rules; the AGI ``return_visit`` plays the prompts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from db.models import ReturnVisit, ReturnVisitStatus, Satisfaction, TicketState, VisitAnswer
from db.session import utcnow
from tickets.context import SYSTEM
from tickets.labels import SATISFACTION
from tickets.states import Event
from tickets.workflow import transition

RESOLVED_KEYS = {"1": True, "2": False}
ANSWER_KEYS = {"1": VisitAnswer.satisfied, "2": VisitAnswer.basically_satisfied, "3": VisitAnswer.dissatisfied}
SATISFACTION_OF = {VisitAnswer.satisfied: Satisfaction.satisfied,
                   VisitAnswer.basically_satisfied: Satisfaction.basically_satisfied,
                   VisitAnswer.dissatisfied: Satisfaction.dissatisfied}
CLOSES = (VisitAnswer.satisfied, VisitAnswer.basically_satisfied)

PROMPT_INTRO = "visit-intro"                # 您好, 这里是 12345, 对您反映的问题进行回访
PROMPT_GENERIC = "visit-generic"            # 您反映的问题已经办理 (when no summary could be made)
PROMPT_RESOLVED = "visit-resolved"          # 已解决请按1, 未解决请按2
PROMPT_SATISFACTION = "visit-satisfaction"  # 满意请按1, 基本满意请按2, 不满意请按3
PROMPT_RETRY = "visit-retry"                # 您的按键有误
PROMPT_THANKS = "visit-thanks"
VISIT_PROMPTS = (PROMPT_INTRO, PROMPT_GENERIC, PROMPT_RESOLVED, PROMPT_SATISFACTION, PROMPT_RETRY, PROMPT_THANKS)
WAIT_AFTER_PROMPT_S = 5.0


class Channel(Protocol):   # the same small protocol as ivr.channel.Channel
    def play(self, prompt: str, escape_digits: str = "") -> str: ...

    def wait_digit(self, timeout_s: float) -> str: ...


def _ask_one(channel: Channel, prompt: str, keys: dict):
    for retry in (False, True):
        if retry:
            channel.play(PROMPT_RETRY)
        key = channel.play(prompt, "0123456789*#") or channel.wait_digit(WAIT_AFTER_PROMPT_S)
        if not key:
            return None                      # silence: no answer, no second ask
        if key in keys:
            return keys[key]
    return None


@dataclass
class VisitReply:
    """What the citizen has keyed so far: kept by the caller of ``ask`` when the line drops half-way."""

    resolved: bool | None = None
    answer: VisitAnswer | None = None


def ask(channel: Channel, reply: VisitReply | None = None) -> tuple[bool | None, VisitAnswer | None]:
    """"Resolved? 1 yes 2 no", then "satisfied 1, basically 2, not 3"; one retry on a wrong key each.

    Each answer goes into ``reply`` as soon as it is keyed, so a citizen who hangs up after
    "unresolved" and before the satisfaction question still leaves "unresolved" on the visit.
    """
    reply = reply if reply is not None else VisitReply()
    reply.resolved = _ask_one(channel, PROMPT_RESOLVED, RESOLVED_KEYS)
    if reply.resolved is None:
        return None, None
    reply.answer = _ask_one(channel, PROMPT_SATISFACTION, ANSWER_KEYS)
    if reply.answer is not None:
        channel.play(PROMPT_THANKS)
    return reply.resolved, reply.answer


def apply_answer(session: Session, visit: ReturnVisit, resolved: bool | None, answer: VisitAnswer | None,
                 now: dt.datetime | None = None) -> TicketState | None:
    """Put the citizen's answer on the ticket as the system; returns the ticket's new state (None: unchanged)."""
    now = now or utcnow()
    ticket = visit.ticket
    visit.resolved, visit.answer = resolved, answer
    if ticket.state is not TicketState.awaiting_visit:
        visit.status, visit.note = ReturnVisitStatus.superseded, f"ticket was {ticket.state} when answered"
        return None
    if resolved is None or answer is None:
        # a half answer is kept on the visit for the human who calls again; it never closes or rates the ticket
        visit.status, visit.note = ReturnVisitStatus.no_reply, (
            "接通未按键 (answered, no answer keyed)" if resolved is None else
            f"{'已解决' if resolved else '未解决'}, 未答满意度 (no satisfaction keyed)")
        return None
    visit.status, visit.answered_at = ReturnVisitStatus.done, now
    satisfaction = SATISFACTION_OF[answer]
    said = f"{'已解决' if resolved else '未解决'}, {SATISFACTION[satisfaction]}"
    transition(session, ticket, Event.return_visit, SYSTEM, reason=f"电话回访: {said}",
               params={"satisfaction": satisfaction.value, "resolved": resolved}, now=now)
    if resolved and answer in CLOSES:
        transition(session, ticket, Event.close, SYSTEM, reason=f"电话回访: {said}", now=now)
    else:
        transition(session, ticket, Event.reopen, SYSTEM, reason=f"电话回访: {said}", now=now)
    return ticket.state
