"""Demo and default configuration (`hotline seed`): departments, lines, queues, agents,
the ticket classification tree (topics), working-day calendar overrides and the
demo knowledge base (知识库).

Idempotent: rows are upserted by their natural key (department code, line
number, queue name, agent number), only fields named in the YAML are written,
nothing is deleted, and an agent's SIP secret is made only when the agent is
created. Running it twice changes nothing. Knowledge articles are only created,
never updated: once seeded they belong to the editors, who keep versions of them.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from db.models import (
    Agent,
    Article,
    ArticleState,
    CalendarDay,
    Department,
    Line,
    Queue,
    QueueMember,
    Topic,
    new_sip_secret,
)
from db.repositories import knowledge as knowledge_repo
from hotline.config import Ports, current_settings
from hotline.errors import HotlineError

DATA_DIR = Path(__file__).resolve().parent / "seed_data"

Counts = dict[str, dict[str, int]]


def seed(session: Session, data_dir: Path = DATA_DIR, *, ports: Ports | None = None) -> Counts:
    """Upsert all seed files; flushes but leaves the commit to the caller.

    ``ports``: the installation's ports (default: this process's settings); a line's
    ``self_service_url`` may name ``{demo_department_port}``, the demo department system
    that `hotline up` starts (selfservice/demo_department.py).
    """
    counts: Counts = {
        kind: {"created": 0, "updated": 0}
        for kind in ("departments", "lines", "queues", "agents", "queue_members", "topics", "calendar_days",
                     "knowledge_articles")
    }
    seeder = _Seeder(session, Path(data_dir), counts, ports or current_settings().ports)
    seeder.departments()
    seeder.lines()
    seeder.queues()
    seeder.agents()
    seeder.topics()
    seeder.calendar_days()
    seeder.knowledge_articles()
    session.flush()
    return counts


class _Seeder:
    def __init__(self, session: Session, data_dir: Path, counts: Counts, ports: Ports):
        self.session = session
        self.ports = ports
        self.data_dir = data_dir
        self.counts = counts
        self._department_by_code: dict[str, Department] = {}
        self._created: set[int] = set()  # id() of rows created in this run

    def departments(self) -> None:
        self._department_tree(self._load("departments.yaml"), parent=None)

    def _department_tree(self, entries: list[dict[str, Any]], parent: Department | None) -> None:
        """Parents first, so a child can point at a parent created in the same run."""
        for entry in entries:
            values = dict(entry)
            children = values.pop("children", None) or []
            values["parent"] = parent
            department = self._upsert(Department, "departments", "code", values)
            self._department_by_code[department.code] = department
            self._department_tree(children, department)

    def lines(self) -> None:
        for values in self._load("lines.yaml"):
            code = values.pop("department", None)
            values["department"] = self._department(code, f"line {values.get('number')}")
            for name in ("active_from", "active_until"):
                if name in values:
                    values[name] = _naive_utc(values[name])
            if values.get("self_service_url"):
                values["self_service_url"] = values["self_service_url"].replace(
                    "{demo_department_port}", str(self.ports.demo_department))
            self._upsert(Line, "lines", "number", values)

    def queues(self) -> None:
        overflows: list[tuple[Queue, Any]] = []
        for values in self._load("queues.yaml"):
            has_overflow, overflow = "overflow" in values, values.pop("overflow", None)
            queue = self._upsert(Queue, "queues", "name", values)
            if has_overflow:
                overflows.append((queue, overflow))
        # second pass: the overflow queue may come later in the file
        for queue, overflow in overflows:
            target = self._queue(str(overflow), f"queue {queue.name}") if overflow else None
            if queue.overflow_queue is not target:
                queue.overflow_queue = target
                if id(queue) not in self._created:
                    self.counts["queues"]["updated"] += 1

    def agents(self) -> None:
        for values in self._load("agents.yaml"):
            penalties = values.pop("queues", None) or {}
            agent = self._upsert(
                Agent, "agents", "number", values,
                on_create=lambda: {"sip_secret": new_sip_secret()},
            )
            for queue_name, penalty in penalties.items():
                queue = self._queue(str(queue_name), f"agent {agent.number}")
                member = next((m for m in agent.memberships if m.queue is queue), None)
                if member is None:
                    agent.memberships.append(QueueMember(queue=queue, penalty=penalty))
                    self.counts["queue_members"]["created"] += 1
                elif member.penalty != penalty:
                    member.penalty = penalty
                    self.counts["queue_members"]["updated"] += 1

    def topics(self) -> None:
        self._topic_tree(self._load("topics.yaml"), parent=None)

    def _topic_tree(self, entries: list[dict[str, Any]], parent: Topic | None) -> None:
        for entry in entries:
            values = dict(entry)
            children = values.pop("children", None) or []
            if "department" in values:
                code = values.pop("department")
                values["department"] = self._department(code, f"topic {values.get('code')}")
            values["parent"] = parent
            topic = self._upsert(Topic, "topics", "code", values)
            self._topic_tree(children, topic)

    def calendar_days(self) -> None:
        for values in self._load("calendar_days.yaml"):
            if not isinstance(values.get("day"), dt.date):
                raise HotlineError(f"seed data calendar_days.yaml: {values.get('day')!r} is not a date",
                                   "write days as YYYY-MM-DD")
            self._upsert(CalendarDay, "calendar_days", "day", values)

    def knowledge_articles(self) -> None:
        """Created when missing, never overwritten (editors own them after the seed).

        Articles are content, not configuration: a centre's exported configuration
        (``hotline config export``) has no knowledge.yaml, and seeding from it leaves
        the knowledge base as it is.
        """
        if not (self.data_dir / "knowledge.yaml").exists():
            return
        for entry in self._load("knowledge.yaml"):
            values = dict(entry)
            _check_fields(Article, "knowledge_articles", "code", values)
            if self.session.scalar(select(Article.id).where(Article.code == values["code"])) is not None:
                continue
            for name in ("title", "answer"):
                values[name] = _join_folded_chinese(str(values.get(name) or ""))
            values["department"] = self._department(values.pop("department", None), f"article {values['code']}")
            if "topic" in values:
                code = values.pop("topic")
                values["topic"] = self.session.scalar(select(Topic).where(Topic.code == code))
                if values["topic"] is None:
                    raise HotlineError(f"seed data: article {values['code']} names topic {code!r}, which does not "
                                       "exist", f"add {code!r} to topics.yaml or fix the code")
            values["state"] = ArticleState(values.get("state", "published"))
            knowledge_repo.add_article(self.session, Article(**values), actor="seed")
            self.counts["knowledge_articles"]["created"] += 1

    # --- helpers ------------------------------------------------------------
    def _department(self, code: str | None, where: str) -> Department | None:
        if code is None:
            return None
        department = self._department_by_code.get(code) or self.session.scalar(
            select(Department).where(Department.code == code)
        )
        if department is None:
            raise HotlineError(
                f"seed data: {where} names department {code!r}, which does not exist",
                f"add {code!r} to departments.yaml or fix the code",
            )
        return department

    def _queue(self, name: str, where: str) -> Queue:
        queue = self.session.scalar(select(Queue).where(Queue.name == name))
        if queue is None:
            raise HotlineError(
                f"seed data: {where} names queue {name!r}, which does not exist",
                f"add {name!r} to queues.yaml or fix the name",
            )
        return queue

    def _load(self, filename: str) -> list[dict[str, Any]]:
        path = self.data_dir / filename
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as exc:
            raise HotlineError(
                f"seed data {path} cannot be read: {exc}", "fix or restore the file"
            ) from None
        if not isinstance(data, list):
            raise HotlineError(
                f"seed data {path} is not a list of entries", "see the other seed files"
            )
        return data

    def _upsert(
        self,
        model: type,
        kind: str,
        key: str,
        values: dict[str, Any],
        on_create: Callable[[], dict[str, Any]] | None = None,
    ) -> Any:
        _check_fields(model, kind, key, values)
        obj = self.session.scalar(select(model).where(getattr(model, key) == values[key]))
        if obj is None:
            obj = model(**values, **(on_create() if on_create else {}))
            self.session.add(obj)
            self._created.add(id(obj))
            self.counts[kind]["created"] += 1
            return obj
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        self.counts[kind]["updated"] += changed
        return obj


def _check_fields(model: type, kind: str, key: str, values: dict[str, Any]) -> None:
    if values.get(key) in (None, ""):
        raise HotlineError(f"seed data: a {kind} entry has no {key!r}", f"give every entry a {key}")
    known = set(inspect(model).attrs.keys())
    unknown = sorted(set(values) - known)
    if unknown:
        raise HotlineError(
            f"seed data: {kind} {values[key]!r} has unknown fields {', '.join(unknown)}",
            f"use only: {', '.join(sorted(known))}",
        )
    if not isinstance(values[key], dt.date):
        values[key] = str(values[key])  # YAML may read an unquoted number as an int


def _join_folded_chinese(text: str) -> str:
    """YAML's folded scalars join lines with a space; next to a hanzi that space is not text."""
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text.strip())


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value
