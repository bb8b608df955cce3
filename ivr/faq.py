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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from db.models import Article, ArticleState
from db.repositories import knowledge as knowledge_repo
from hotline.tts import Segment
from ivr.menu import FAQ_COUNT_MAX
from ivr.prompt_texts import PromptText

PROMPT_FOLDER = "kb"          # prompts_dir/<lang>/kb/…: the articles' prompts, apart from the shipped ones
PARTS = ("title", "answer")
HASH_CHARS = 10
_NOT_NAME = re.compile(r"[^a-z0-9]+")
USAGE_SINCE = dt.datetime(1970, 1, 1)   # usage counts are all-time


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


def rank(articles: Iterable[Article], uses: Mapping[int, int], department_id: int | None) -> list[Article]:
    """The line's department first (when it has one), then most used, then the editors' order, then code."""
    def key(article: Article):
        own = 0 if department_id is not None and article.department_id == department_id else 1
        order = article.phone_order
        return own, -uses.get(article.id, 0), order is None, order or 0, article.code
    return sorted(articles, key=key)


def choices(session: Session, *, language: str, department_id: int | None, on: dt.date, count: int,
            prompt_exists: Callable[[str, str], bool]) -> list[Choice]:
    """What the sub-menu offers: up to ``count`` (≤ 9) articles valid ``on`` whose prompts exist, keys 1, 2, …"""
    count = max(1, min(int(count), FAQ_COUNT_MAX))
    valid = [a for a in phone_articles(session, on) if a.valid_on(on)]
    uses = {article_id: usage.total for article_id, usage
            in knowledge_repo.usage_by_article(session, USAGE_SINCE).items()}
    offered: list[Choice] = []
    for article in rank(valid, uses, department_id):
        prompts = article_prompts(article, language)
        if prompts is None or not all(prompt_exists(language, name) for name in prompts):
            continue   # not spoken in this language, or not generated yet: never a silent play
        offered.append(Choice(str(len(offered) + 1), article.id, article.code, article.version, *prompts))
        if len(offered) == count:
            break
    return offered
