"""The return-visit call's summary (回访摘要): the ticket's reply as generated speech, made before dialing.

``hotline.tts`` (espeak-ng + sox, offline) writes ``prompts_dir/zh/visits/rv-<id>.wav``,
which Asterisk plays as ``hotline/visits/rv-<id>``. Made by the dial job just before the
attempt goes out, within a time budget; when it cannot be made (no reply text, the tools
missing or failing, the budget spent) the call plays the generic "your matter has been
handled" prompt instead — the visit is never held up by its summary.
"""
from __future__ import annotations

import logging
import time

from db.models import ReturnVisit
from hotline.config import Settings
from hotline.errors import HotlineError
from hotline.tts import Segment, check_tools, synthesize

log = logging.getLogger(__name__)

LANGUAGE = "zh"                      # return visits are asked in Mandarin
FOLDER = "visits"
MAX_CHARS = 200                      # the reply is cut here: a summary, not the whole file
BUDGET_S = 20.0                      # one dial round spends at most this long making summaries


def prompt_name(visit_id: int) -> str:
    return f"{FOLDER}/rv-{visit_id}"


def text_of(reply: str | None) -> str:
    """What the summary says: the department's reply (答复), whitespace folded, shortened."""
    reply = " ".join((reply or "").split())
    if len(reply) > MAX_CHARS:
        reply = reply[:MAX_CHARS].rstrip("，,。. ") + "。"
    return f"您反映的问题，承办单位答复如下：{reply}" if reply else ""


def prepare(settings: Settings, visits: list[ReturnVisit], budget_s: float = BUDGET_S) -> int:
    """Make the summaries still missing; sets ``summary_prompt`` on each made. → how many were made."""
    started, made = time.monotonic(), 0
    try:
        check_tools()
    except HotlineError as missing:
        log.warning("return-visit summaries not made (generic prompt instead): %s", missing)
        return 0
    for visit in visits:
        name = prompt_name(visit.id)
        target = settings.prompts_dir / LANGUAGE / f"{name}.wav"
        if visit.summary_prompt == name and target.exists():
            continue
        text = text_of(visit.ticket.reply)
        if not text or time.monotonic() - started > budget_s:
            continue
        try:
            synthesize([Segment(LANGUAGE, text)], target, label=name)
        except HotlineError as failed:
            log.warning("return visit %s: summary not made (generic prompt instead): %s", visit.id, failed)
            continue
        visit.summary_prompt = name
        made += 1
    return made
