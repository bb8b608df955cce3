"""Training from the database: the history, the names to show, and the version that comes next."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Department, Topic
from dispatch_suggest import store
from dispatch_suggest.history import Example, load_examples
from dispatch_suggest.model import SuggestionModel, train


def names(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    """(topic code → path "城市管理 / 占道经营", department code → name)."""
    topics = {t.code: t.path for t in session.scalars(select(Topic))}
    departments = dict(session.execute(select(Department.code, Department.name)).all())
    return topics, departments


def vocabulary(session: Session) -> tuple[str, ...]:
    """Words jieba should keep whole: the topics' keywords and names, the departments' and streets' names."""
    words = set()
    for name, keywords in session.execute(select(Topic.name, Topic.keywords)):
        words.add(name)
        words.update(w.strip() for w in (keywords or "").replace("，", ",").split(",") if w.strip())
    for name, in session.execute(select(Department.name)):
        words.add(name)
        for suffix in ("街道", "社区", "村"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                words.add(name[: -len(suffix)])  # 泉城路街道 → 泉城路, as addresses write it
    return tuple(sorted(w for w in words if len(w) >= 2))


def fingerprint(examples: list[Example], extra_words: tuple[str, ...]) -> str:
    """Same history → same fingerprint: a job that runs twice on it does not train twice."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.ticket_id or 0):
        digest.update(repr((e.ticket_id, e.description, e.address, e.topic, e.department,
                            e.not_departments)).encode())
    digest.update(repr(extra_words).encode())
    return digest.hexdigest()[:16]


def train_from_database(session: Session, path: Path, *, now: dt.datetime | None = None,
                        since: dt.datetime | None = None) -> tuple[SuggestionModel, bool]:
    """(the current model, whether it was trained now); ``NotEnoughHistory`` when too little history."""
    examples = load_examples(session, since=since)
    extra_words = vocabulary(session)
    stamp = fingerprint(examples, extra_words)
    current = store.load(path)
    if current is not None and current.fingerprint == stamp:
        return current, False
    topic_names, department_names = names(session)
    model = train(examples, topic_names=topic_names, department_names=department_names,
                  version=(current.version + 1) if current else 1, trained_at=now, extra_words=extra_words,
                  fingerprint=stamp)
    store.save(model, path)
    return model, True
