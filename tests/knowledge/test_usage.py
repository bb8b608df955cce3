"""Uses: an article answered a call or ticket (直办 with a reference), once per call, counted per article."""
from __future__ import annotations

import datetime as dt

import pytest

from db.models import Call
from db.repositories import knowledge as repo
from db.session import utcnow
from knowledge.editing import change_state
from knowledge.errors import ArticleNotFound, IllegalChange
from knowledge.usage import record_use, usage_figures


def a_call(session, uniqueid: str) -> Call:
    call = Call(uniqueid=uniqueid, caller="13800138000", dialed_number="12345")
    session.add(call)
    session.flush()
    return call


def test_uses_are_counted_once_per_call_and_per_article(session):
    first, second = a_call(session, "1700000000.1"), a_call(session, "1700000000.2")
    use = record_use(session, "KB00001", "agent1001", call=first)
    assert record_use(session, "KB00001", "agent1001", call=first) is use    # attached twice: one use
    record_use(session, "KB00001", "agent1002", call=second)
    record_use(session, "KB00016", "agent1001", call=second)
    old = record_use(session, "KB00016", "agent1001")
    old.used_at = utcnow() - dt.timedelta(days=45)
    session.flush()
    figures = usage_figures(session)
    kb1, kb16 = repo.by_code(session, "KB00001"), repo.by_code(session, "KB00016")
    assert (figures[kb1.id].total, figures[kb1.id].recent) == (2, 2)
    assert (figures[kb16.id].total, figures[kb16.id].recent) == (2, 1)
    assert use.article_version == kb1.version and repo.by_code(session, "KB00002").id not in figures


def test_only_a_published_article_can_answer(session):
    change_state(session, "KB00003", "retire", "editor")
    with pytest.raises(IllegalChange) as refused:
        record_use(session, "KB00003", "agent1001")
    assert "knowledge_article" in refused.value.fields
    with pytest.raises(ArticleNotFound):
        record_use(session, "KB77777", "agent1001")
