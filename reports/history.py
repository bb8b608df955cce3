"""A realistic year of history (历史数据) for benchmarks and demos: tickets and calls at a big city's size.

``generate(session, year=2025, scale=1.0)`` writes ``scale`` × 1,000,000 tickets
and 3 calls per ticket, spread over the year with the centre's rhythms:

- daily cycle: quiet at night, peaks 9–11 and 14–16 (HOUR_WEIGHTS);
- weekly cycle: weekends at 70 %; Chinese public holidays (``hotline.calendar``,
  the chinesecalendar package) at 45 %, make-up working Saturdays as weekdays;
- one surge day (SURGE_DAY, a water main burst) at 3 × with 供水 dominating;
- topics weighted as a hotline sees them, handled by the topic's usual
  department, districts and streets of the demo city;
- outcomes: most tickets closed and rated (一事一评, some not satisfied, some
  closed without a rating), some returned (退单), extended (延期), reopened,
  overdue; the last weeks still open.

Rows are written with bulk INSERTs (Core), numbered ``HS…`` so they never
collide with real ticket numbers, and the generator is deterministic for a seed.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import (
    Call,
    CallOutcome,
    Department,
    DepartmentKind,
    Line,
    Satisfaction,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketState,
    TicketUrgency,
    Topic,
)
from hotline.calendar import WorkCalendar
from hotline.errors import HotlineError

FULL_TICKETS = 1_000_000
CALLS_PER_TICKET = 3
BJ = dt.timedelta(hours=8)
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.4, 0.8, 2, 5, 9, 12, 12, 10, 7, 8, 11, 11, 10, 8, 6, 5, 4, 3, 2, 1.5]
TOPIC_WEIGHTS = {"utilities-water": 9, "urban-vending": 8, "market-food": 7, "utilities-gas": 5, "transport": 6,
                 "social": 6, "environment": 6, "urban-building": 4}
BATCH = 5000


@dataclass
class HistoryReport:
    tickets: int
    calls: int
    first: dt.date
    last: dt.date
    surge_day: dt.date

    def as_dict(self) -> dict:
        return {"tickets": self.tickets, "calls": self.calls, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "surge_day": self.surge_day.isoformat()}


# the web and SMS rating's five levels (非常满意 … 非常不满意); 基本满意 is the phone return visit's answer
FIVE_LEVELS = [Satisfaction.very_satisfied, Satisfaction.satisfied, Satisfaction.neutral, Satisfaction.dissatisfied,
               Satisfaction.very_dissatisfied]

def day_weight(day: dt.date, calendar: WorkCalendar, surge_day: dt.date) -> float:
    """A day's share of the year: 1 a working day (make-up Saturdays too), 0.7 a weekend, 0.45 a holiday."""
    if day == surge_day:
        return 3.0
    workday, _ = calendar.is_workday(day)
    if workday:
        return 1.0
    return 0.45 if _holiday(day) else 0.7


def _holiday(day: dt.date) -> bool:
    import chinese_calendar
    try:
        on, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False
    return bool(on and name)


def generate(session: Session, *, year: int = 2025, scale: float = 1.0, seed: int = 12345,
             today: dt.date | None = None) -> HistoryReport:
    if session.scalar(select(Ticket.id).where(Ticket.number.like("HS%")).limit(1)) is not None:
        raise HotlineError("this database already holds a generated history (tickets numbered HS…)",
                           "generate it once, into a fresh database: `hotline db upgrade && hotline seed --history`")
    rng = random.Random(seed)
    calendar = WorkCalendar()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    surge_day = dt.date(year, 7, 15)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    weights = [day_weight(d, calendar, surge_day) for d in days]
    total = max(1, round(FULL_TICKETS * scale))
    per_day = _spread(total, weights, rng)
    today = today or last + dt.timedelta(days=1)

    topics = {t.code: t for t in session.scalars(select(Topic))}
    leaves = [t for t in topics.values() if t.parent_id is not None and t.department_id is not None]
    topic_weights = [TOPIC_WEIGHTS.get(t.code, TOPIC_WEIGHTS.get(topics_parent(t, topics), 2)) for t in leaves]
    water = topics.get("utilities-water")
    districts = list(session.scalars(select(Department).where(Department.kind == DepartmentKind.district)))
    streets = {d.id: list(session.scalars(select(Department).where(Department.parent_id == d.id)))
               for d in districts}
    lines = list(session.scalars(select(Line)))
    main_line = next((line for line in lines if line.number == "12345"), lines[0] if lines else None)
    phones = [f"13{rng.randrange(10**9):09d}" for _ in range(max(10, total // 3))]  # callers call again

    ticket_rows, call_rows, serial, calls = [], [], 0, 0
    for day, n in zip(days, per_day, strict=True):
        for _ in range(n):
            serial += 1
            topic = water if (day == surge_day and water and rng.random() < 0.6) else \
                rng.choices(leaves, topic_weights)[0]
            created = _moment(day, rng)
            district = rng.choice(districts) if districts else None
            street = rng.choice(streets[district.id]) if district and streets[district.id] else None
            phone = rng.choice(phones)
            ticket_rows.append(_ticket(serial, created, topic, district, street, phone, main_line, today, rng))
            for k in range(CALLS_PER_TICKET):
                calls += 1
                call_rows.append(_call(calls, created - dt.timedelta(minutes=k * rng.randrange(1, 600)),
                                       phone if k == 0 or rng.random() < 0.5 else rng.choice(phones),
                                       main_line, rng))
            if len(ticket_rows) >= BATCH:
                _flush(session, ticket_rows, call_rows)
    _flush(session, ticket_rows, call_rows)
    return HistoryReport(serial, calls, first, last, surge_day)


def topics_parent(topic: Topic, topics: dict[str, Topic]) -> str:
    parent = next((t for t in topics.values() if t.id == topic.parent_id), None)
    return parent.code if parent else ""


def _spread(total: int, weights: list[float], rng: random.Random) -> list[int]:
    whole = sum(weights)
    counts = [int(total * w / whole) for w in weights]
    for i in rng.choices(range(len(weights)), weights, k=total - sum(counts)):
        counts[i] += 1
    return counts


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    local = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))
    return local - BJ  # stored as naive UTC


def _ticket(serial, created, topic, district, street, phone, line, today, rng) -> dict:
    age_days = (dt.datetime.combine(today, dt.time()) - created).days
    on_call = rng.random() < 0.3
    row = {"number": f"HS{serial:010d}", "channel": TicketChannel.phone if rng.random() < 0.8 else TicketChannel.web,
           "caller_phone": phone, "line_id": line.id if line else None,
           "category": rng.choices(list(TicketCategory), [25, 25, 30, 8, 8, 4])[0], "topic": topic.name,
           "topic_id": topic.id, "urgency": rng.choices(list(TicketUrgency), [90, 9, 1])[0],
           "district_id": district.id if district else None, "street_id": street.id if street else None,
           "description": f"{topic.name} 历史数据", "created_at": created, "updated_at": created, "version": 1,
           "resolved_on_call": on_call, "handle_due_at": created + dt.timedelta(days=7),
           "accept_due_at": created + dt.timedelta(hours=4)}
    if on_call:
        row.update(state=TicketState.closed, closed_at=created + dt.timedelta(minutes=5), reply="已当场解答")
    else:
        row["department_id"] = topic.department_id
        row["dispatched_at"] = created + dt.timedelta(minutes=rng.randrange(5, 120))
        row["accepted_at"] = row["dispatched_at"] + dt.timedelta(hours=rng.uniform(0.2, 6))
        late = rng.random() < 0.06
        if rng.random() < 0.03:
            row["extension_days"] = rng.choice((3, 5, 10))
            row["handle_due_at"] += dt.timedelta(days=row["extension_days"] * 7 / 5)
        done = row["accepted_at"] + dt.timedelta(days=rng.uniform(8, 14) if late else rng.uniform(0.5, 6))
        if age_days < 10 and rng.random() < 0.6:
            row["state"] = rng.choice((TicketState.dispatched, TicketState.accepted, TicketState.replied))
            row["overdue"] = late
        else:
            row.update(state=TicketState.closed, replied_at=done, visited_at=done + dt.timedelta(days=1),
                       closed_at=done + dt.timedelta(days=1), reply="已办理", overdue=late,
                       reopen_count=1 if rng.random() < 0.02 else 0)
    if row["state"] == TicketState.closed and rng.random() < 0.9:
        row["satisfaction"] = rng.choices(FIVE_LEVELS, [40, 42, 10, 5, 3])[0]
    return row


def _call(n, arrived, phone, line, rng) -> dict:
    withheld = rng.random() < 0.01
    wait = rng.expovariate(1 / 12)
    outcome = rng.choices([CallOutcome.answered, CallOutcome.abandoned, CallOutcome.self_served], [90, 8, 2])[0]
    talk = rng.expovariate(1 / 180) + 20 if outcome == CallOutcome.answered else None
    joined = arrived + dt.timedelta(seconds=8)
    answered = joined + dt.timedelta(seconds=wait) if talk else None
    return {"uniqueid": f"hs-{n}", "caller": "anonymous" if withheld else phone,
            "dialed_number": line.number if line else "12345", "line_id": line.id if line else None,
            "department_id": line.department_id if line else None, "arrived_at": arrived,
            "queue_joined_at": joined if outcome != CallOutcome.self_served else None,
            "answered_at": answered, "queue_name": "12345" if outcome != CallOutcome.self_served else None,
            "ended_at": (answered or joined) + dt.timedelta(seconds=talk or wait), "outcome": outcome,
            "wait_seconds": round(wait, 1) if outcome != CallOutcome.self_served else None,
            "talk_seconds": round(talk, 1) if talk else None}


def _flush(session: Session, tickets: list[dict], calls: list[dict]) -> None:
    if tickets:
        session.execute(insert(Ticket), tickets)
    if calls:
        session.execute(insert(Call), calls)
    session.commit()
    tickets.clear()
    calls.clear()
