"""Articles as JSON (the shapes in web/openapi.yaml, schema KnowledgeArticle)."""
from __future__ import annotations

from db.models import Article

SUMMARY_CHARS = 120


def article_as_dict(article: Article, score: float | None = None) -> dict:
    body = {
        "code": article.code,
        "title": article.title,
        "answer": article.answer,
        "summary": article.answer if len(article.answer) <= SUMMARY_CHARS else article.answer[:SUMMARY_CHARS] + "…",
        "department": {"code": article.department.code, "name": article.department.name}
        if article.department else None,
        "topic": {"code": article.topic.code, "name": article.topic.name} if article.topic else None,
        "keywords": article.keyword_list,
        "valid_from": article.valid_from.isoformat() if article.valid_from else None,
        "valid_to": article.valid_to.isoformat() if article.valid_to else None,
        "phone_readable": article.phone_readable,
        "title_en": article.title_en,
        "answer_en": article.answer_en,
        "phone_order": article.phone_order,
        "state": article.state.value,
        "version": article.version,
        "updated_at": article.updated_at.isoformat(timespec="seconds") + "Z",
    }
    if score is not None:
        body["score"] = round(score, 6)
    return body
