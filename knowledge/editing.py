"""Writing articles (编辑): validation, then one change with its version and audit row.

Every save keeps the article as it was saved (``ArticleVersion``) and an audit
row with only the fields that changed, before and after. The editor's form
carries the version it was read at: a save over someone else's newer version
is refused (409) instead of silently overwriting it.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Article, ArticleState, Department, Topic
from db.models.knowledge import snapshot
from db.repositories import knowledge as repo
from knowledge.errors import ArticleConflict, ArticleNotFound, IllegalChange, InvalidArticle

TITLE_MAX, KEYWORDS_MAX = 200, 500
ANSWER_MIN, ANSWER_MAX = 10, 20000
PHONE_ANSWER_MAX = 400   # read out by the IVR: about a minute and a half of speech
PHONE_ANSWER_EN_MAX = 1200   # the same minute and a half in English (FAQ by phone on English calls)
PHONE_ORDER_MAX = 9999
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s]+")
EDITABLE = ("title", "answer", "department", "topic", "keywords", "valid_from", "valid_to", "phone_readable",
            "title_en", "answer_en", "phone_order")

# (state, action) → next state; the only ways an article's state changes
STATE_CHANGES = {
    (ArticleState.draft, "publish"): ArticleState.published,     # 发布
    (ArticleState.retired, "publish"): ArticleState.published,   # 重新发布
    (ArticleState.draft, "retire"): ArticleState.retired,        # 下线
    (ArticleState.published, "retire"): ArticleState.retired,
}


def create_article(session: Session, data: Mapping[str, Any], actor: str, publish: bool = False) -> Article:
    values = _validated(session, data, partial=False)
    article = Article(code=repo.next_code(session), state=ArticleState.draft, **values)
    repo.add_article(session, article, actor)
    if publish:
        change_state(session, article.code, "publish", actor, version=article.version)
    return article


def edit_article(session: Session, code: str, data: Mapping[str, Any], actor: str,
                 version: Any = None, reason: str | None = None) -> Article:
    """Apply the fields present in ``data``; a save that changes nothing writes nothing."""
    article = _get(session, code)
    _check_version(article, version)
    values = _validated(session, data, partial=True, current=article)
    before = snapshot(article)
    for name, value in values.items():
        setattr(article, name, value)
    repo.save_change(session, article, before, "edited", actor, reason=reason)
    return article


def change_state(session: Session, code: str, action: str, actor: str, version: Any = None,
                 reason: str | None = None) -> Article:
    """``action`` is "publish" (发布) or "retire" (下线)."""
    article = _get(session, code)
    _check_version(article, version)
    if action not in {a for _, a in STATE_CHANGES}:
        raise InvalidArticle.of({"action": f"unknown action {action!r}; expected publish or retire"})
    target = STATE_CHANGES.get((article.state, action))
    if target is None:
        raise IllegalChange(f"article {article.code} is {article.state.value}: it cannot be {action}ed")
    if action == "publish":
        problems = _publishable(article)
        if problems:
            raise InvalidArticle.of(problems)
    before = snapshot(article)
    article.state = target
    repo.save_change(session, article, before, {"publish": "published", "retire": "retired"}[action], actor,
                     reason=reason)
    return article


def _get(session: Session, code: str) -> Article:
    article = repo.by_code(session, code or "")
    if article is None:
        raise ArticleNotFound(f"no article {code!r}")
    return article


def _check_version(article: Article, version: Any) -> None:
    if version in (None, ""):
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise InvalidArticle.of({"version": f"{version!r} is not a whole number"}) from None
    if expected != article.version:
        raise ArticleConflict(f"article {article.code} was saved by {article.updated_by} since you opened it "
                              f"(version {article.version}, yours {expected}): reload it and edit again")


def _publishable(article: Article) -> dict[str, str]:
    problems = {}
    if article.phone_readable and len(article.answer) > PHONE_ANSWER_MAX:
        problems["answer"] = f"an answer read out on the phone has at most {PHONE_ANSWER_MAX} characters"
    return problems


def _validated(session: Session, data: Mapping[str, Any], partial: bool, current: Article | None = None) -> dict:
    """The model values for the fields in ``data``; every problem at once, by field."""
    if not isinstance(data, Mapping):
        raise InvalidArticle.of({"body": "expected an object of article fields"})
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    present = [n for n in EDITABLE if n in data] if partial else list(EDITABLE)

    def text_of(name: str) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            errors[name] = "expected text"
            return ""
        return value.strip()

    for name in present:
        if name == "title":
            title = " ".join(text_of("title").split())
            if not title:
                errors.setdefault("title", "a title is required (the question as a citizen asks it)")
            elif len(title) > TITLE_MAX:
                errors["title"] = f"at most {TITLE_MAX} characters"
            values["title"] = title
        elif name == "answer":
            answer = text_of("answer").replace("\r\n", "\n")
            if len(answer) < ANSWER_MIN:
                errors.setdefault("answer", f"an answer of at least {ANSWER_MIN} characters is required")
            elif len(answer) > ANSWER_MAX:
                errors["answer"] = f"at most {ANSWER_MAX} characters"
            values["answer"] = answer
        elif name == "keywords":
            raw = data.get("keywords")
            if isinstance(raw, list) and all(isinstance(k, str) for k in raw):
                raw = ",".join(raw)
            elif raw is not None and not isinstance(raw, str):
                errors["keywords"], raw = "expected text or a list of words", ""
            parts = KEYWORD_SEPARATORS.split(raw or "")
            keywords = ",".join(dict.fromkeys(k.strip() for k in parts if k.strip()))
            if len(keywords) > KEYWORDS_MAX:
                errors["keywords"] = f"at most {KEYWORDS_MAX} characters in all"
            values["keywords"] = keywords
        elif name in ("department", "topic"):
            code = text_of(name)
            model = Department if name == "department" else Topic
            row = session.scalar(select(model).where(model.code == code)) if code else None
            if code and row is None:
                errors[name] = f"unknown {name} {code!r}"
            values[name] = row
        elif name in ("valid_from", "valid_to"):
            raw = data.get(name)
            if isinstance(raw, dt.date):
                values[name] = raw
                continue
            day = text_of(name)
            try:
                values[name] = dt.date.fromisoformat(day) if day else None
            except ValueError:
                errors[name] = f"{day!r} is not a date (YYYY-MM-DD)"
        elif name in ("title_en", "answer_en"):   # optional English text (FAQ by phone on English calls)
            value = text_of(name).replace("\r\n", "\n")
            if name == "title_en":
                value = " ".join(value.split())
            limit = TITLE_MAX if name == "title_en" else PHONE_ANSWER_EN_MAX
            if len(value) > limit:
                errors[name] = f"at most {limit} characters"
            values[name] = value or None
        elif name == "phone_order":
            raw = data.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[name] = None
                continue
            try:
                order = int(raw) if not isinstance(raw, bool) else None
            except (TypeError, ValueError):
                order = None
            if order is None or not 1 <= order <= PHONE_ORDER_MAX:
                errors[name] = f"{raw!r} is not a whole number from 1 to {PHONE_ORDER_MAX} (or empty)"
            values[name] = order
        elif name == "phone_readable":
            raw = data.get(name)
            if isinstance(raw, bool):
                values[name] = raw
            elif raw in (None, "", "0", "false", "off", "no"):
                values[name] = False
            elif raw in ("1", "true", "on", "yes"):
                values[name] = True
            else:
                errors[name] = f"{raw!r} is not yes or no"
    start = values["valid_from"] if "valid_from" in values else (current.valid_from if current else None)
    end = values["valid_to"] if "valid_to" in values else (current.valid_to if current else None)
    if start and end and end < start and not {"valid_from", "valid_to"} & errors.keys():
        errors["valid_to"] = f"ends ({end}) before it starts ({start})"
    phone = values.get("phone_readable", current.phone_readable if current else False)
    answer = values.get("answer", current.answer if current else "")
    if phone and len(answer) > PHONE_ANSWER_MAX and "answer" not in errors:
        errors["phone_readable"] = (f"an answer read out on the phone has at most {PHONE_ANSWER_MAX} characters "
                                    f"(this one has {len(answer)})")
    title_en = values.get("title_en", current.title_en if current else None)
    answer_en = values.get("answer_en", current.answer_en if current else None)
    if bool(title_en) != bool(answer_en) and not {"title_en", "answer_en"} & errors.keys():
        errors["answer_en" if title_en else "title_en"] = "give both the English title and the English answer, or neither"
    if errors:
        raise InvalidArticle.of(errors)
    return values
