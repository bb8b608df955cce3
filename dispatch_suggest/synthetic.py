"""A synthetic history of dispatched tickets (模拟历史工单), for tests and the accuracy benchmark.

Cases are drawn per topic of ``db/seed_data/topics.yaml`` with realistic
descriptions (``synthetic_text``), addresses in the demo city's streets, the
department that really handles each (the topic's own, the street office for
属地 matters, the right bureau for policy questions) and, for some, a first
wrong dispatch that the department returns (退单) or that the centre takes back
(改派). ``write_history`` writes them as real tickets through the tickets
package (受理 → 派单 → 退单 → 改派 → 签收), so they read back exactly as the
centre's own history would.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Department, Ticket
from db.seed import DATA_DIR
from dispatch_suggest import synthetic_text as st
from dispatch_suggest.history import Example
from tickets.deadlines import load_policy
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import Actor, transition

MISROUTE_SHARE = 0.15   # share of cases first sent to a wrong department
VAGUE_SHARE = 0.03      # share of cases whose description says nearly nothing
LOCAL_SHARE = 0.7       # share of 属地 matters that the street office handles (the rest: the city bureau)
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Case:
    description: str
    topic: str
    category: str
    address: str
    district: str
    street: str
    department: str                      # who finally accepts it (签收)
    misrouted_to: str | None = None      # first dispatched there, then returned or taken back
    misroute: str = "return"             # "return" (退单 by the department) or "redispatch" (改派 after 签收)
    accepted: bool = True                # False: still waiting for 签收

    def example(self) -> Example:
        return Example(self.description, self.address, self.topic, self.department if self.accepted else None,
                       (self.misrouted_to,) if self.misrouted_to else ())


def seed_topics(data_dir: Path = DATA_DIR) -> dict[str, tuple[str, str | None]]:
    """Leaf topics of the seed data: code → (name, usual department code)."""
    found = {}

    def walk(nodes):
        for node in nodes:
            if node.get("children"):
                walk(node["children"])
            else:
                found[node["code"]] = (node["name"], node.get("department"))
    walk(yaml.safe_load((data_dir / "topics.yaml").read_text(encoding="utf-8")))
    return found


def seed_departments(data_dir: Path = DATA_DIR) -> set[str]:
    codes = set()

    def walk(nodes):
        for node in nodes:
            codes.add(node["code"])
            walk(node.get("children") or [])
    walk(yaml.safe_load((data_dir / "departments.yaml").read_text(encoding="utf-8")))
    return codes


def generate(count: int, seed: int = 12345, data_dir: Path = DATA_DIR) -> list[Case]:
    """``count`` cases over every topic that has templates, reproducible for a given ``seed``."""
    topics, departments = seed_topics(data_dir), seed_departments(data_dir)
    codes = [code for code in st.TEMPLATES if code in topics]
    missing = sorted(set(st.TEMPLATES) - set(topics))
    if missing:
        raise ValueError(f"synthetic templates name topics not in topics.yaml: {', '.join(missing)}")
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        topic = codes[i % len(codes)] if i < len(codes) else rng.choice(codes)
        cases.append(_case(rng, topic, topics[topic][1], departments))
    rng.shuffle(cases)
    return cases


def _case(rng: random.Random, topic: str, usual: str | None, departments: set[str]) -> Case:
    template = rng.choice(st.TEMPLATES[topic])
    slots = _SLOT.findall(template)
    text = _SLOT.sub(lambda m: rng.choice(st.SLOTS[m.group(1)]), template)
    street = rng.choice(sorted(st.STREETS))
    district, patterns = st.STREETS[street]
    address = rng.choice(patterns).format(n=rng.randint(1, 199))
    department = usual
    if topic == "other-policy":
        department = next(st.POLICY_DEPARTMENT[s] for s in slots if s in st.POLICY_DEPARTMENT)
    elif topic in st.LOCAL_TOPICS and rng.random() < LOCAL_SHARE:
        department = street
    if rng.random() < VAGUE_SHARE:
        text = rng.choice(st.VAGUE)
    description = f"{rng.choice(st.OPENERS)}{text}。{rng.choice(st.CLOSERS)}"
    misrouted = None
    if rng.random() < MISROUTE_SHARE:
        wrong = [d for d in st.CONFUSED_WITH.get(topic, ()) if d in departments and d != department]
        if department == street and usual:
            wrong.append(usual)  # 属地 matter first sent to the city bureau: "属地管理, 请派街道"
        misrouted = rng.choice(wrong) if wrong else None
    category = "consultation" if text.startswith("咨询") else rng.choice(("complaint", "help", "report"))
    return Case(description, topic, category, address, district, street, department, misrouted,
                "redispatch" if misrouted and rng.random() < 0.3 else "return")


def write_history(session: Session, cases: list[Case], start: dt.datetime, *, policy=None,
                  agent: str = "agent1001", reviewer: str = "reviewer") -> list[str]:
    """Write the cases as tickets through the loop (one per 10 minutes from ``start``); their numbers.

    Flushes, never commits: the caller owns the transaction.
    """
    policy = policy or load_policy(session)
    ids = dict(session.execute(select(Department.code, Department.id)).all())
    agent_actor, reviewer_actor = Actor(agent, "agent"), Actor(reviewer, "reviewer")

    def clerk(code: str) -> Actor:
        return Actor(code, "clerk", ids[code])

    numbers = []
    for i, case in enumerate(cases):
        at = start + dt.timedelta(minutes=10 * i)
        steps = (at + dt.timedelta(minutes=m) for m in range(1, 10))  # each step a minute after the last
        later = steps.__next__
        ticket: Ticket = create_ticket(session, {
            "channel": "phone", "caller_name": "市民", "caller_phone": f"139{i:08d}", "category": case.category,
            "topic": case.topic, "address": case.address, "district": case.district, "street": case.street,
            "description": case.description}, agent_actor, now=at)
        first = case.misrouted_to or case.department
        transition(session, ticket, Event.dispatch, agent_actor, params={"department": first}, now=later(),
                   policy=policy)
        if case.misrouted_to:
            if case.misroute == "redispatch":
                transition(session, ticket, Event.accept, clerk(first), now=later(), policy=policy)
            else:
                transition(session, ticket, Event.return_to_center, clerk(first), reason="不属于本单位职责",
                           now=later(), policy=policy)
            transition(session, ticket, Event.redispatch, reviewer_actor, reason="改派",
                       params={"department": case.department}, now=later(), policy=policy)
        if case.accepted:
            transition(session, ticket, Event.accept, clerk(case.department), now=later(), policy=policy)
        numbers.append(ticket.number)
    return numbers


def split(cases: list[Case], held_out: float = 0.2) -> tuple[list[Case], list[Case]]:
    """(training part, held-out part): the last ``held_out`` share is kept for testing."""
    cut = round(len(cases) * (1 - held_out))
    return cases[:cut], cases[cut:]


def seed_names(data_dir: Path = DATA_DIR) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """(topic code → name, department code → name, jieba words) from the seed files, for runs without a database."""
    topics, departments, words = {}, {}, set()

    def walk_topics(nodes):
        for node in nodes:
            topics[node["code"]] = node["name"]
            words.add(node["name"])
            words.update(w for w in str(node.get("keywords") or "").split(",") if len(w) >= 2)
            walk_topics(node.get("children") or [])

    def walk_departments(nodes):
        for node in nodes:
            departments[node["code"]] = node["name"]
            if node["name"].endswith("街道"):
                words.add(node["name"][:-2])
            walk_departments(node.get("children") or [])
    walk_topics(yaml.safe_load((data_dir / "topics.yaml").read_text(encoding="utf-8")))
    walk_departments(yaml.safe_load((data_dir / "departments.yaml").read_text(encoding="utf-8")))
    return topics, departments, tuple(sorted(words))
