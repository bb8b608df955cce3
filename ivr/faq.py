"""FAQ by phone (电话常见问题): which knowledge-base articles a line's menu offers, and their prompts.

A menu option ``{action: faq, count: 5}`` (agi/handlers/faq.py) offers the line's ``count`` most
asked articles that may be read on the phone (可电话播报), are published and valid today: for a
line with a department, that department's articles first; then by how often an article answered
a call or ticket (knowledge usage figures), then the editors' ``phone_order``, then the code.

Each article is spoken from two generated prompts per language, its title and its answer, named
after the text they speak (``kb/<code>-<hash>-title``): an edited title or answer is a new name, so
the old sound is never played for the new text; ``hotline prompts build`` (and the rq job after an
edit, ``ivr.article_prompts``) makes the missing ones and removes generated ones nobody names any
more. A recording dropped under the same name wins, as for every prompt. Mandarin always; English
only where the article has English text. An article whose prompts are not there (yet) is not offered.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, func, inspect, or_, select
from sqlalchemy.orm import Session

from db.models import Article, ArticleState, ArticleUse
from hotline.tts import Segment
from ivr.menu import FAQ_COUNT_MAX
from ivr.prompt_texts import PromptText

PROMPT_FOLDER = "kb"          # prompts_dir/<lang>/kb/…: the articles' prompts, apart from the shipped ones
PARTS = ("title", "answer")
HASH_CHARS = 10
_NOT_NAME = re.compile(r"[^a-z0-9]+")
FETCH_SPARE = 10     # ranked rows fetched beyond the count, for articles skipped (no prompt, no English)
SCAN_MAX = 2000      # rows looked at on one call at most: an English call on a centre with little English text


@dataclass(frozen=True)
class Choice:
    """One article of the FAQ sub-menu: press ``key`` to hear it."""

    key: str
    article_id: int
    code: str
    version: int
    title_prompt: str
    answer_prompt: str


def spoken_text(article: Article, language: str) -> tuple[str, str] | None:
    """(title, answer) as spoken on a ``language`` call, or None: no English text → not on English calls."""
    if language == "zh":
        return article.title, article.answer
    if language == "en" and (article.title_en or "").strip() and (article.answer_en or "").strip():
        return article.title_en.strip(), article.answer_en.strip()
    return None


def prompt_name(code: str, part: str, text: str) -> str:
    """``kb/<code>-<hash of the text>-<part>``: a new text is a new prompt name."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]
    return f"{PROMPT_FOLDER}/{_NOT_NAME.sub('-', code.lower()).strip('-') or 'x'}-{digest}-{part}"


def article_prompts(article: Article, language: str) -> tuple[str, str] | None:
    """(title prompt, answer prompt) of ``article`` in ``language``, or None when it is not spoken in it."""
    text = spoken_text(article, language)
    if text is None:
        return None
    return prompt_name(article.code, "title", text[0]), prompt_name(article.code, "answer", text[1])


def phone_articles(session: Session, today: dt.date) -> list[Article]:
    """Published phone-readable articles not yet expired on ``today`` (those valid later get prompts early)."""
    return list(session.scalars(
        select(Article).where(Article.state == ArticleState.published, Article.phone_readable.is_(True),
                              or_(Article.valid_to.is_(None), Article.valid_to >= today))
        .order_by(Article.code)))


def article_texts(session: Session, today: dt.date) -> dict[tuple[str, str], PromptText]:
    """``{(language, name): PromptText}`` of every phone article's title and answer, per language it speaks.

    Empty before ``hotline db upgrade`` (no articles table yet).
    """
    texts: dict[tuple[str, str], PromptText] = {}
    if not inspect(session.connection()).has_table(Article.__tablename__):
        return texts
    for article in phone_articles(session, today):
        for language in ("zh", "en"):
            text = spoken_text(article, language)
            if text is None:
                continue
            for part, words in zip(PARTS, text):
                name = prompt_name(article.code, part, words)
                texts[(language, name)] = PromptText(language, name, (Segment(language, words),))
    return texts


def ranked(session: Session, *, department_id: int | None, on: dt.date, limit: int, offset: int = 0) -> list[Article]:
    """Articles a call may hear on ``on``, best first, ranked by the database: the line's department first
    (when it has one), then most used (all uses), then the editors' ``phone_order`` (empty last), then code."""
    uses = (select(ArticleUse.article_id, func.count().label("n")).group_by(ArticleUse.article_id).subquery())
    order = []
    if department_id is not None:
        order.append(case((Article.department_id == department_id, 0), else_=1))
    order += [func.coalesce(uses.c.n, 0).desc(), Article.phone_order.is_(None), Article.phone_order, Article.code]
    query = (select(Article).outerjoin(uses, uses.c.article_id == Article.id)
             .where(Article.state == ArticleState.published, Article.phone_readable.is_(True),
                    or_(Article.valid_from.is_(None), Article.valid_from <= on),
                    or_(Article.valid_to.is_(None), Article.valid_to >= on))
             .order_by(*order).offset(offset).limit(limit))
    return list(session.scalars(query))


def choices(session: Session, *, language: str, department_id: int | None, on: dt.date, count: int,
            prompt_exists: Callable[[str, str], bool]) -> list[Choice]:
    """What the sub-menu offers: up to ``count`` (≤ 9) articles valid ``on`` whose prompts exist, keys 1, 2, …"""
    count = max(1, min(int(count), FAQ_COUNT_MAX))
    offered: list[Choice] = []
    batch, offset = count + FETCH_SPARE, 0
    while len(offered) < count:
        articles = ranked(session, department_id=department_id, on=on, limit=batch, offset=offset)
        for article in articles:
            prompts = article_prompts(article, language)
            if prompts is None or not all(prompt_exists(language, name) for name in prompts):
                continue   # not spoken in this language, or not generated yet: never a silent play
            offered.append(Choice(str(len(offered) + 1), article.id, article.code, article.version, *prompts))
            if len(offered) == count:
                break
        if len(articles) < batch or offset + batch >= SCAN_MAX:
            break
        offset += batch
        batch *= 4
    return offered
