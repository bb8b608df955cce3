"""One call record as plain JSON-able data: what `hotline call` prints and the API returns."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import object_session
from sqlalchemy.orm.exc import UnmappedInstanceError

from db.models import Article, ArticleUse, Callback, callback_calls
from db.models.knowledge import IVR_USER


def _iso(dt):
    return dt.isoformat(timespec="milliseconds") + "Z" if dt else None


def call_as_dict(call) -> dict:
    line, dept, agent = call.line, call.department, call.agent
    return {
        "uniqueid": call.uniqueid,
        "linkedid": call.linkedid,
        "trace_id": call.trace_id,
        "caller": call.caller,
        "dialed_number": call.dialed_number,
        "line": {"number": line.number, "name": line.name, "mode": call.line_mode or _mode(line)} if line else None,
        "department": {"code": dept.code, "name": dept.name} if dept else None,
        "language": call.language,
        "ivr_path": call.ivr_path,
        "queue": call.queue_name,
        "agent": {"number": agent.number, "name": agent.name} if agent else None,
        "outcome": call.outcome,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "arrived_at": _iso(call.arrived_at),
        "queue_joined_at": _iso(call.queue_joined_at),
        "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at),
        "hangup_cause": call.hangup_cause,
        "recording_file": call.recording_file,
        "rating": call.rating,
        "faq_articles": faq_articles(call),
        # 工单查询 by phone: every ticket asked about, read out (granted) or kept closed (confidential)
        "ticket_queries": ticket_queries(call),
        # 留言: the message the citizen left, its length, and kept | too_short | silent | missing | error
        "voicemail": {"file": call.voicemail_file, "seconds": call.voicemail_seconds,
                      "status": call.voicemail_status} if call.voicemail_file else None,
        # 漏接回拨 / 回拨预约: the callback request this call is on (a missed call, a voicemail, a kept place)
        "callback": callback_of(call),
    }


def callback_of(call) -> dict | None:
    """The callback request the call is on, with each attempt's outcome; None when it is on none."""
    try:
        session = object_session(call)
    except UnmappedInstanceError:
        return None
    if session is None or getattr(call, "id", None) is None:
        return None
    callback = session.scalar(select(Callback).join(callback_calls, callback_calls.c.callback_id == Callback.id)
                              .where(callback_calls.c.call_id == call.id).order_by(Callback.id.desc()).limit(1))
    if callback is None:
        return None
    return {"id": callback.id, "source": callback.source, "status": callback.status.value,
            "due_at": _iso(callback.due_at), "reached_at": _iso(callback.reached_at),
            "attempts": [{"number": a.number, "outcome": a.outcome.value, "at": _iso(a.claimed_at),
                          "ended_at": _iso(a.ended_at), "agent": a.agent.number if a.agent else None}
                         for a in callback.attempts]}


def ticket_queries(call) -> list[dict]:
    """Every ticket asked about by phone (工单查询), read out (granted) or kept closed (confidential)."""
    return [{"ticket": q.ticket_number, "found_by": q.found_by, "granted": q.granted, "wrong_codes": q.wrong_codes}
            for q in getattr(call, "ticket_queries", None) or []]


def faq_articles(call) -> list[str]:
    """Codes of the knowledge-base articles the IVR read out on this call (电话常见问题), in order."""
    try:
        session = object_session(call)
    except UnmappedInstanceError:
        return []
    if session is None or getattr(call, "id", None) is None:
        return []
    return list(session.scalars(select(Article.code).join(ArticleUse, ArticleUse.article_id == Article.id)
                                .where(ArticleUse.call_id == call.id, ArticleUse.used_by == IVR_USER)
                                .order_by(ArticleUse.id)))


def _mode(line):
    mode = line.mode
    return getattr(mode, "value", mode)
