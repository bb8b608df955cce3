"""Uses (引用): the article that answered a call or ticket (直办 with a reference), and usage figures."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ArticleState, ArticleUse, Call, Ticket
from db.repositories import knowledge as repo
from db.session import utcnow
from knowledge.errors import ArticleNotFound, IllegalChange

RECENT_DAYS = 30


def record_use(session: Session, code: str, actor: str, call: Call | None = None,
               ticket: Ticket | None = None) -> ArticleUse:
    """Note that article ``code`` answered ``call`` / ``ticket``; once per article and call or ticket."""
    article = repo.by_code(session, code or "")
    if article is None:
        raise ArticleNotFound(f"no article {code!r}", {"knowledge_article": f"no article {code!r}"})
    if article.state is not ArticleState.published:
        raise IllegalChange(f"article {article.code} is {article.state.value}, not published",
                            {"knowledge_article": f"article {article.code} is {article.state.value}"})
    query = select(ArticleUse).where(ArticleUse.article_id == article.id)
    if call is not None or ticket is not None:
        same = [ArticleUse.call_id == call.id] if call is not None else [ArticleUse.ticket_id == ticket.id]
        existing = session.scalar(query.where(*same))
        if existing is not None:
            if ticket is not None and existing.ticket_id is None:
                existing.ticket = ticket
            return existing
    use = ArticleUse(article=article, article_version=article.version, call=call, ticket=ticket, used_by=actor,
                     used_at=utcnow())
    session.add(use)
    session.flush()
    return use


def usage_figures(session: Session, now: dt.datetime | None = None) -> dict[int, repo.Usage]:
    """Per article id: uses in all and in the last ``RECENT_DAYS`` days, and the last use."""
    since = (now or utcnow()) - dt.timedelta(days=RECENT_DAYS)
    return repo.usage_by_article(session, since)
