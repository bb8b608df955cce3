"""Finding articles (检索): the question is segmented by jieba, the database's full-text index ranks.

By default only what an agent may read out today is found: published
articles whose validity window (生效/失效日期) contains ``on``, the centre's
local date. The editor's list asks for every state and any date.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.models import Article, ArticleState, Department, Topic
from db.repositories import knowledge as repo
from hotline.segment import query_concepts
from knowledge.errors import InvalidArticle

QUERY_MAX = 2000      # a whole description typed by the agent is a fair query
CONCEPTS_MAX = 12     # a long description is searched by its 12 most telling words
LIMIT_MAX = 50


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


@dataclass(frozen=True)
class Found:
    query: str
    words: list[str]
    hits: list[Hit] = field(default_factory=list)


def search(session: Session, query: str, *, on: dt.date | None, limit: int = 10, department: str | None = None,
           topic: str | None = None, phone_readable: bool | None = None,
           states: tuple[ArticleState, ...] = (ArticleState.published,)) -> Found:
    """Best matches first. ``on=None`` ignores the validity window (the editor's view)."""
    errors = {}
    if not isinstance(query, str) or not query.strip():
        errors["q"] = "type a question or some words to search for"
    elif len(query) > QUERY_MAX:
        errors["q"] = f"at most {QUERY_MAX} characters"
    if not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX:
        errors["limit"] = f"a whole number from 1 to {LIMIT_MAX}"
    department_id = _id_of(session, Department, department, "department", errors)
    topic_id = _id_of(session, Topic, topic, "topic", errors)
    if errors:
        raise InvalidArticle.of(errors)
    concepts = query_concepts(query, keep=CONCEPTS_MAX)
    words = list(dict.fromkeys(w for concept in concepts for w in concept))
    where = repo.SearchFilter(on=on, states=states, department_id=department_id, topic_id=topic_id,
                              phone_readable=phone_readable)
    ranked = repo.search_ids(session, concepts, where, limit)
    if not ranked:
        return Found(query, words)
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_([i for i, _ in ranked]))
        .options(joinedload(Article.department), joinedload(Article.topic)))}
    return Found(query, words, [Hit(articles[i], score) for i, score in ranked if i in articles])


def _id_of(session: Session, model, code: str | None, name: str, errors: dict) -> int | None:
    if not code:
        return None
    found = session.scalar(select(model.id).where(model.code == code))
    if found is None:
        errors[name] = f"unknown {name} {code!r}"
    return found
