"""Knowledge-base articles (知识库): rows, versions, audit rows, uses, and the full-text index.

The index is kept in sync here, in the same transaction as the row it
describes, so every writer (editor pages, the seed, the benchmark) goes
through ``add_article`` / ``reindex``. Ranking is the database's own:
FTS5 ``bm25()`` on SQLite, ``ts_rank()`` over a GIN-indexed ``tsvector`` on
PostgreSQL; the query is the OR of the question's words, so an article that
matches more of them, and in its title, comes first.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.models import Article, ArticleEvent, ArticleState, ArticleUse, ArticleVersion
from db.models.knowledge import SEARCH_INDEX_TABLE, snapshot
from db.session import utcnow
from hotline.segment import index_text

# bm25 column weights on SQLite (title, keywords, body); PostgreSQL uses setweight A, B, D
TITLE_WEIGHT, KEYWORDS_WEIGHT, BODY_WEIGHT = 10.0, 5.0, 1.0
CODE_PREFIX = "KB"
FETCH_MAX = 1_000_000  # the deepest cut of the index's ranking that search asks for (all of it, in practice)


def by_code(session: Session, code: str) -> Article | None:
    return session.scalar(select(Article).where(Article.code == code.strip().upper()))


def next_code(session: Session) -> str:
    """KB00001, KB00002, ...: the next free number after the highest one in use."""
    codes = session.scalars(select(Article.code).where(Article.code.like(f"{CODE_PREFIX}%"))).all()
    numbers = [int(c[len(CODE_PREFIX):]) for c in codes if c[len(CODE_PREFIX):].isdigit()]
    return f"{CODE_PREFIX}{max(numbers, default=0) + 1:05d}"


def add_article(session: Session, article: Article, actor: str, reason: str | None = None) -> Article:
    """A new article with its first version, its 'created' audit row and its index entry."""
    now = utcnow()
    article.version = 1
    article.created_by = article.updated_by = actor
    article.created_at = article.updated_at = now
    session.add(article)
    session.flush()
    content = snapshot(article)
    session.add(ArticleVersion(article=article, version=1, content=content, saved_at=now, saved_by=actor))
    session.add(ArticleEvent(article=article, action="created", actor=actor, at=now, before=None, after=content,
                             reason=reason))
    reindex(session, article)
    return article


def save_change(session: Session, article: Article, before: dict, action: str, actor: str,
                reason: str | None = None) -> dict:
    """After the caller changed ``article``: bump its version, keep the new version, audit the difference.

    Returns the changed fields ({name: (before, after)}); nothing is written when nothing changed.
    """
    after = snapshot(article)
    changed = {name: (before[name], after[name]) for name in after if before.get(name) != after[name]}
    if not changed:
        return changed
    now = utcnow()
    article.version += 1
    article.updated_at, article.updated_by = now, actor
    session.add(ArticleVersion(article=article, version=article.version, content=after, saved_at=now,
                               saved_by=actor))
    session.add(ArticleEvent(article=article, action=action, actor=actor, at=now,
                             before={k: v[0] for k, v in changed.items()},
                             after={k: v[1] for k, v in changed.items()}, reason=reason))
    session.flush()
    if {"title", "answer", "keywords"} & changed.keys():
        reindex(session, article)
    return changed


# --- the full-text index ----------------------------------------------------------------------------

def reindex(session: Session, article: Article) -> None:
    """Write the article's segmented text into the dialect's search index (replacing what was there)."""
    values = {"id": article.id, "title": index_text(article.title),
              "keywords": index_text(" ".join(article.keyword_list)), "body": index_text(article.answer)}
    write_index_rows(session, [values])


def write_index_rows(session: Session, rows: Sequence[dict]) -> None:
    """Index rows {id, title, keywords, body} of already segmented text (bulk loaders call this directly)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            f"INSERT INTO {SEARCH_INDEX_TABLE} (article_id, document) VALUES (:id, "
            "setweight(to_tsvector('simple', :title), 'A') || setweight(to_tsvector('simple', :keywords), 'B')"
            " || setweight(to_tsvector('simple', :body), 'D')) "
            "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"), list(rows))
    else:
        session.execute(text(f"DELETE FROM {SEARCH_INDEX_TABLE} WHERE rowid = :id"), [{"id": r["id"]} for r in rows])
        session.execute(text(f"INSERT INTO {SEARCH_INDEX_TABLE} (rowid, title, keywords, body) "
                             "VALUES (:id, :title, :keywords, :body)"), list(rows))


@dataclass(frozen=True)
class SearchFilter:
    on: dt.date | None                     # only articles valid on this day; None: whatever their window
    states: tuple[ArticleState, ...] = (ArticleState.published,)
    department_id: int | None = None
    topic_id: int | None = None
    phone_readable: bool | None = None


def search_ids(session: Session, concepts: Sequence[Sequence[str]], where: SearchFilter,
               limit: int) -> list[tuple[int, float]]:
    """(article id, score) of the best matches, best first; higher score is better.

    ``concepts`` come most telling first, each as the index words that stand for it
    (``hotline.segment.query_concepts``). Ranking every article that shares any word
    with a long question would cost time in proportion to the collection, so the
    question is asked in tiers, each only while fewer than ``limit`` were found:
    1. articles about every concept; 2. about at least two of the four most telling;
    3. about any of those four. Inside a tier the database's own rank orders them.
    """
    groups = [[w for w in concept if w.replace("_", "").isalnum()] for concept in concepts]  # nothing to escape
    groups = [g for g in groups if g]
    if not groups:
        return []
    top = groups[:4]
    tiers = [[groups]]                                                     # every concept
    if len(top) >= 3:
        tiers.append([[a, b] for i, a in enumerate(top) for b in top[i + 1:]])  # any two of the top four
    if len(groups) >= 2:
        tiers.append([[g] for g in top])                                   # any of the top four
    found: dict[int, float] = {}
    for tier in tiers:
        # a later tier ranks below every earlier find: its scores are squeezed under the lowest one so far
        floor = min(found.values()) if found else None
        for article_id, score in _ranked(session, tier, where, limit + len(found)):
            if article_id not in found:
                found[article_id] = score if floor is None else floor * max(score, 0.0) / (max(score, 0.0) + 1.0)
        if len(found) >= limit:
            break
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _ranked(session: Session, alternatives: list[list[list[str]]], where: SearchFilter,
            limit: int) -> list[tuple[int, float]]:
    """Articles matching any of ``alternatives`` (each an AND of concepts, each an OR of words), best first.

    The index ranks alone first (no join per match), the filters then apply to its best
    ``fetch`` rows; only when they leave too few is a deeper cut asked for.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    params: dict = {"limit": limit}
    conditions = []
    if where.states:
        names = [f"state{i}" for i in range(len(where.states))]
        conditions.append(f"a.state IN ({', '.join(':' + n for n in names)})")
        params.update({n: s.value for n, s in zip(names, where.states)})
    if where.on is not None:
        params["on"] = where.on if postgres else where.on.isoformat()
        conditions.append("(a.valid_from IS NULL OR a.valid_from <= :on) AND (a.valid_to IS NULL OR a.valid_to >= :on)")
    for column in ("department_id", "topic_id"):
        if getattr(where, column) is not None:
            params[column] = getattr(where, column)
            conditions.append(f"a.{column} = :{column}")
    if where.phone_readable is not None:
        params["phone"] = where.phone_readable
        conditions.append("a.phone_readable = :phone")
    extra = "".join(f" AND {c}" for c in conditions)
    if postgres:
        params["q"] = " | ".join("(" + " & ".join("(" + " | ".join(f"'{w}'" for w in concept) + ")"
                                                  for concept in alternative) + ")" for alternative in alternatives)
        # ts_rank of an AND query weighs how near the words stand; ranked as an OR of the same words it
        # counts each word and where it stands (title A, keywords B, body D), as bm25 does on SQLite
        params["r"] = " | ".join(dict.fromkeys(f"'{w}'" for alternative in alternatives for concept in alternative
                                               for w in concept))
        best = (f"SELECT s.article_id AS id, ts_rank(s.document, q2.rank) AS score FROM {SEARCH_INDEX_TABLE} s, "
                "to_tsquery('simple', :q) AS q(query), to_tsquery('simple', :r) AS q2(rank) "
                "WHERE s.document @@ q.query ORDER BY score DESC LIMIT :fetch")
    else:
        params["q"] = " OR ".join("(" + " AND ".join("(" + " OR ".join(f'"{w}"' for w in concept) + ")"
                                                     for concept in alternative) + ")" for alternative in alternatives)
        best = (f"SELECT rowid AS id, -bm25({SEARCH_INDEX_TABLE}, {TITLE_WEIGHT}, {KEYWORDS_WEIGHT}, {BODY_WEIGHT})"
                f" AS score FROM {SEARCH_INDEX_TABLE} WHERE {SEARCH_INDEX_TABLE} MATCH :q ORDER BY score DESC"
                " LIMIT :fetch")
    # every row of the index's best cut comes back, with whether it passes the filters: one round trip
    # says both what passed and whether the index has more
    sql = text(f"SELECT f.id, f.score, CASE WHEN a.id IS NOT NULL{extra} THEN 1 ELSE 0 END AS passes "
               f"FROM ({best}) AS f LEFT JOIN knowledge_articles a ON a.id = f.id")
    fetch = max(4 * limit, 40)
    while True:
        rows = session.execute(sql, {**params, "fetch": fetch}).all()
        passed = sorted(((row[0], float(row[1])) for row in rows if row[2]), key=lambda r: (-r[1], r[0]))
        if len(passed) >= limit or len(rows) < fetch or fetch >= FETCH_MAX:
            return passed[:limit]
        fetch *= 8


# --- uses (引用) ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Usage:
    total: int
    recent: int                       # in the last ``days`` days
    last_used_at: dt.datetime | None


def usage_by_article(session: Session, since: dt.datetime) -> dict[int, Usage]:
    """Per article id: how often it answered a call or ticket, in all and since ``since``."""
    recent = func.count().filter(ArticleUse.used_at >= since)
    rows = session.execute(select(ArticleUse.article_id, func.count(), recent, func.max(ArticleUse.used_at))
                           .group_by(ArticleUse.article_id))
    return {article_id: Usage(total, int(recent_count or 0), last) for article_id, total, recent_count, last in rows}
