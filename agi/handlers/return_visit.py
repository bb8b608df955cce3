"""``AGI(agi://host/return_visit,<attempt channel id>)``: the citizen answered a return-visit call (回访).

Plays the intro, the summary of the result (the reply's generated speech, or the generic
"your matter has been handled"), asks "resolved?" and "how satisfied?", and puts the
answer on the ticket through the workflow (``tickets.visit_answers``). A citizen who hangs
up or keys nothing leaves the ticket as it is: the request waits for a human.
"""
from __future__ import annotations

from asterisk.agi import AGIHangup
from sqlalchemy import select

from agi.ivr_channel import AgiChannel
from agi.request import AgiRequest
from callbacks import visit_summary
from db.models import CallbackAttempt, Purpose, ReturnVisitStatus
from hotline.config import current_settings
from ivr import prompts
from tickets import visit_answers
from tickets.errors import TicketError


def handle(req: AgiRequest) -> None:
    channel_id = (req.argv + [""])[0]
    attempt = req.session.scalar(select(CallbackAttempt).where(CallbackAttempt.channel_id == channel_id,
                                                               CallbackAttempt.purpose == Purpose.return_visit))
    if attempt is None:
        req.log.warning("return visit %r answered, but there is no such attempt", channel_id)
        return
    visit = attempt.return_visit
    channel = AgiChannel(req.agi)
    channel.set_language(visit_summary.LANGUAGE)
    summary = visit.summary_prompt
    if summary and not prompts.exists(current_settings(), visit_summary.LANGUAGE, summary):
        summary = None
    req.log.info("return visit %s: summary %s", channel_id, summary or visit_answers.PROMPT_GENERIC)
    reply = visit_answers.VisitReply()
    try:
        channel.play(visit_answers.PROMPT_INTRO)
        channel.play(summary or visit_answers.PROMPT_GENERIC)
        visit_answers.ask(channel, reply)
    except AGIHangup:   # what was keyed before the hang-up is kept (e.g. "unresolved" without a rating)
        req.log.info("return visit %s: the citizen hung up (resolved=%s)", channel_id, reply.resolved)
    resolved, answer = reply.resolved, reply.answer
    visit_id = visit.id
    try:
        state = visit_answers.apply_answer(req.session, visit, resolved, answer)
        req.session.commit()
    except TicketError as refused:   # e.g. a reviewer changed the ticket at the same moment
        req.session.rollback()
        visit = attempt.return_visit
        visit.status, visit.resolved, visit.answer = ReturnVisitStatus.no_reply, resolved, answer
        visit.note = f"answer not applied: {refused.message}"[:255]
        req.session.commit()
        state = None
    req.log.info("return visit %s (visit %s): resolved=%s answer=%s ticket=%s", channel_id, visit_id,
                 resolved, answer.value if answer else None, state.value if state else "unchanged")
