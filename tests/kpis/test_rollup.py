"""KPI roll-ups (kpis.rollup): the roll-up path gives exactly the sums of the base-table path, late events included.

Random calls and tickets over three weeks of March 2026 (written through the
ORM, so the dirty-day markers fire as in production), part of the days rolled
up, then random periods, slices, filters and "now" compared: integer counts
equal, float sums (waits, talk) equal to 1e-6 s (the same values added in
another order). Then late changes after the roll-up — a call record closed a
day later, a ticket reopened through the real workflow, a department changed,
a queue's service level changed — and the comparison again, before and after
rolling the days up again.
"""
from __future__ import annotations

import datetime as dt
import random

import pytest

from db.models import (
    Agent,
    Call,
    CallOutcome,
    Department,
    KpiDirtyDay,
    KpiRollupDay,
    Line,
    Queue,
    Satisfaction,
    Ticket,
    TicketCategory,
    TicketState,
    Topic,
)
from kpis import rollup, rollup_build
from kpis.calls import call_counts
from kpis.dimensions import normalise_key
from kpis.period import Period
from kpis.settings import load_settings
from kpis.tickets import ticket_counts
from tests.kpis.helpers import utc

FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 21)
ROLLED = (dt.date(2026, 3, 3), dt.date(2026, 3, 16))   # days before and after stay base-only
BY_CHOICES = [(), ("day",), ("hour",), ("weekday", "hour"), ("line",), ("department",), ("queue",),
              ("department", "day"), ("agent",), ("topic",), ("district",), ("line", "hour"),
              ("topic", "day"), ("district", "weekday"), ("agent", "day"), ("agent", "queue"), ("topic", "hour")]


def _sorted(rows, by):
    def key(row):
        return tuple((v is None, v) for v in (normalise_key(n, row.get(f"d_{n}")) for n in by))
    return sorted(rows, key=key)


def same(a: list[dict], b: list[dict], by) -> None:
    a, b = _sorted(a, by), _sorted(b, by)
    assert len(a) == len(b), (a, b)
    for x, y in zip(a, b):
        for name in set(x) | set(y):
            u, v = x.get(name), y.get(name)
            if name.startswith("d_"):
                assert normalise_key(name[2:], u) == normalise_key(name[2:], v), (name, x, y)
            elif isinstance(u, float) or isinstance(v, float):
                assert abs(float(u or 0) - float(v or 0)) < 1e-6, (name, x, y)
            else:
                assert (u or 0) == (v or 0), (name, x, y)


def both_paths(session, family, period, by, filters, as_of):
    settings = load_settings(session)
    if family == "calls":
        if not set(by) | set(filters) <= {"queue", "line", "department", "agent", "hour", "weekday", "day"}:
            return None
        return (call_counts(session, period, by, filters, settings),
                call_counts(session, period, by, filters, settings, rollup=False))
    if not set(by) | set(filters) <= {"line", "department", "topic", "district", "agent", "hour", "weekday",
                                      "day"}:
        return None
    return (ticket_counts(session, period, by, filters, settings, as_of),
            ticket_counts(session, period, by, filters, settings, as_of, rollup=False))


@pytest.fixture
def city(session):
    """~400 calls and ~250 tickets with random lines, queues, agents, departments, states and deadlines."""
    rng = random.Random(14)
    lines = list(session.query(Line))
    agents = list(session.query(Agent))
    queues = [q.name for q in session.query(Queue)] + [None]
    departments = [d for d in session.query(Department)]
    topics = [t for t in session.query(Topic) if t.parent_id is not None]
    span = int((dt.datetime.combine(LAST, dt.time()) - dt.datetime.combine(FIRST, dt.time())).total_seconds())
    base = utc(f"{FIRST} 00:00")
    for n in range(400):
        arrived = base + dt.timedelta(seconds=rng.randrange(span))
        queued = rng.random() < 0.9
        answered = queued and rng.random() < 0.8
        wait = round(rng.uniform(0, 40), 1) if queued else None
        joined = arrived + dt.timedelta(seconds=rng.choice((3, 8, 600))) if queued else None
        line = rng.choice(lines)
        session.add(Call(
            uniqueid=f"rollup-{n}.1", caller="13800000000", dialed_number=line.number, line_id=line.id,
            department_id=rng.choice([line.department_id, None, rng.choice(departments).id]),
            arrived_at=arrived, queue_joined_at=joined,
            answered_at=joined + dt.timedelta(seconds=wait) if answered else None,
            ended_at=None if rng.random() < 0.05 else arrived + dt.timedelta(seconds=900),
            queue_name=rng.choice(queues) if queued else None,
            agent_id=rng.choice(agents).id if answered else None,
            outcome=CallOutcome.answered if answered else rng.choice(list(CallOutcome)),
            wait_seconds=wait, talk_seconds=round(rng.uniform(10, 400), 1) if answered else None,
            rating=rng.choice([None, 1, 2, 3, 5]) if answered else None))
    phones = [f"1390000{n:04d}" for n in range(60)]
    for n in range(250):
        created = base + dt.timedelta(seconds=rng.randrange(span))
        topic = rng.choice(topics)
        dispatched = rng.random() < 0.7
        state = rng.choice(list(TicketState)) if dispatched else rng.choice(
            (TicketState.intake, TicketState.closed, TicketState.merged))
        accepted = dispatched and rng.random() < 0.7
        replied = created + dt.timedelta(days=rng.uniform(0.5, 12)) if dispatched and rng.random() < 0.6 else None
        session.add(Ticket(
            number=f"RU{n:06d}", caller_phone=rng.choice(phones + ["anonymous", None]),
            line_id=rng.choice(lines).id, category=TicketCategory.complaint, topic=topic.name,
            topic_id=topic.id, district_id=rng.choice(departments).id, description="汇总测试",
            state=state, department_id=rng.choice(departments).id if dispatched else None,
            created_by=rng.choice(["agent1001", "agent1002", None]), created_at=created, version=1,
            resolved_on_call=not dispatched and state == TicketState.closed,
            dispatched_at=created + dt.timedelta(minutes=10) if dispatched else None,
            accepted_at=created + dt.timedelta(hours=rng.uniform(1, 40)) if accepted else None,
            accept_due_at=rng.choice([created + dt.timedelta(days=1), None]),
            accept_overdue=rng.random() < 0.1, replied_at=replied,
            handle_due_at=rng.choice([created + dt.timedelta(days=rng.uniform(2, 20)), None]),
            overdue=rng.random() < 0.1, reopen_count=rng.choice([0, 0, 0, 1]),
            visit_due_at=replied + dt.timedelta(days=1) if replied and rng.random() < 0.5 else None,
            visited_at=replied + dt.timedelta(days=2) if replied and rng.random() < 0.4 else None,
            satisfaction=rng.choice([None, *Satisfaction])))
    session.flush()
    return rng


def roll(session, first=ROLLED[0], last=ROLLED[1]):
    for family in rollup.FAMILIES:
        rollup_build.roll(session, family, first, last, "Asia/Shanghai")
    session.flush()


def compare_random(session, rng, rounds=40) -> int:
    """Random periods, slices, filters and as_of; returns how many comparisons read the roll-up."""
    used = 0
    filter_values = {"line": [line.number for line in session.query(Line)][:3],
                     "department": [d.code for d in session.query(Department)][:4],
                     "queue": ["12345", "english"], "agent": ["1001", "agent1001"],
                     "topic": [t.code for t in session.query(Topic) if t.parent_id is not None][:3],
                     "district": [d.code for d in session.query(Department)][:3]}
    for _ in range(rounds):
        first = FIRST - dt.timedelta(days=3) + dt.timedelta(days=rng.randrange(18))
        last = first + dt.timedelta(days=rng.randrange(14))
        period = Period(first, last)
        by = rng.choice(BY_CHOICES)
        filters = {}
        if rng.random() < 0.3:
            name = rng.choice(list(filter_values))
            filters[name] = rng.choice(filter_values[name])
        as_of = utc(f"{FIRST} 00:00") + dt.timedelta(hours=rng.randrange(24 * 30))
        for family in ("calls", "tickets"):
            result = both_paths(session, family, period, by, filters, as_of)
            if result is None:
                continue
            fast, slow = result
            same(fast, slow, by)
            if rollup.plan(session, family, period, by, filters, load_settings(session)) is not None:
                used += 1
    return used


def test_the_roll_up_path_gives_the_base_sums_for_random_periods_and_slices(session, city):
    roll(session)
    covered = rollup.covered_days(session, "calls", Period(FIRST, LAST), load_settings(session))
    assert covered == {ROLLED[0] + dt.timedelta(days=n) for n in range(14)}
    assert compare_random(session, city) > 10


def test_late_events_after_the_roll_up_are_read_from_the_base_tables_until_rolled_again(session, city, loop):
    ticket = loop(created="2026-03-05 10:00", steps=[
        ("dispatch", "2026-03-05 10:05"), ("accept", "2026-03-05 14:00"), ("reply", "2026-03-07 10:00"),
        ("approve_reply", "2026-03-08 09:00"), ("return_visit", "2026-03-08 15:00", {"satisfaction": "satisfied"}),
        ("close", "2026-03-08 16:00")])
    roll(session)
    settings = load_settings(session)
    march5 = Period(dt.date(2026, 3, 5), dt.date(2026, 3, 5))
    before = ticket_counts(session, march5, (), {}, settings, utc("2026-03-30 00:00"))[0]
    assert rollup.covered_days(session, "tickets", march5, settings) == {march5.first}

    # a ticket reopened (重启) after its day was rolled up: the day is dirty, its figures change at once
    from tests.kpis.conftest import Actor
    from tickets.workflow import transition
    transition(session, ticket, "reopen", Actor("reviewer", "reviewer"), reason="市民不满意",
               params={}, now=utc("2026-03-20 09:00"))
    session.flush()
    assert rollup.covered_days(session, "tickets", march5, settings) == set()
    after = ticket_counts(session, march5, (), {}, settings, utc("2026-03-30 00:00"))[0]
    assert after["reopened"] == before["reopened"] + 1
    assert after["closed_on_time"] == before["closed_on_time"] - 1

    # a call record of a rolled day closed a day later, another one's wait corrected
    open_call = session.query(Call).filter(Call.ended_at.is_(None), Call.uniqueid.like("rollup-%")).filter(
        Call.arrived_at >= utc(f"{ROLLED[0]} 12:00"), Call.arrived_at < utc(f"{ROLLED[1]} 00:00")).first()
    assert open_call is not None
    open_call.ended_at = open_call.arrived_at + dt.timedelta(days=1)
    other = session.query(Call).filter(Call.wait_seconds.isnot(None), Call.uniqueid.like("rollup-%")).filter(
        Call.arrived_at >= utc(f"{ROLLED[0]} 12:00")).first()
    other.wait_seconds += 100
    # a ticket of a rolled day handed to another department
    moved = session.query(Ticket).filter(Ticket.number.like("RU%"), Ticket.dispatched_at.isnot(None),
                                         Ticket.created_at >= utc(f"{ROLLED[0]} 12:00")).first()
    moved.department_id = session.query(Department).filter(Department.id != moved.department_id).first().id
    session.flush()
    dirty = {(f, d) for f, d in session.query(KpiDirtyDay.family, KpiDirtyDay.day)}
    assert ("calls", open_call.arrived_at.date()) in dirty or ("calls", (open_call.arrived_at
                                                                         + dt.timedelta(hours=8)).date()) in dirty
    compare_random(session, city, rounds=30)

    # rolled again (what the rq job does): covered again, and still the same sums
    for family in rollup.FAMILIES:
        days = rollup_build.days_to_roll(session, family, "Asia/Shanghai", settings)
        assert march5.first in days or family == "calls"
        for run in rollup.runs_of([d for d in days if ROLLED[0] <= d <= ROLLED[1]], "Asia/Shanghai"):
            rollup_build.roll(session, family, run.first, run.last, "Asia/Shanghai")
    session.flush()
    assert rollup.covered_days(session, "tickets", march5, settings) == {march5.first}
    assert ticket_counts(session, march5, (), {}, settings, utc("2026-03-30 00:00"))[0]["reopened"] \
        == after["reopened"]
    assert compare_random(session, city, rounds=30) > 5


def test_time_alone_moves_open_tickets_and_the_roll_up_follows(session, loop):
    """按时签收率/逾期率 of a still-open ticket change with "now": such tickets are counted live, never rolled."""
    loop(created="2026-03-02 10:00", steps=[("dispatch", "2026-03-02 10:05")])   # never accepted
    roll(session, dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    settings = load_settings(session)
    day = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    early = ticket_counts(session, day, (), {}, settings, utc("2026-03-02 12:00"))[0]
    late = ticket_counts(session, day, (), {}, settings, utc("2026-03-30 12:00"))[0]
    assert rollup.covered_days(session, "tickets", day, settings) == {day.first}
    assert (early["accept_decided"], early["handle_decided"]) == (0, 0)
    assert (late["accept_decided"], late["handle_decided"], late["overdue"]) == (1, 1, 1)
    for as_of in (utc("2026-03-02 12:00"), utc("2026-03-30 12:00")):
        same(ticket_counts(session, day, (), {}, settings, as_of),
             ticket_counts(session, day, (), {}, settings, as_of, rollup=False), ())


def test_changed_settings_or_service_levels_uncover_the_rolled_days(session, city):
    from kpis.settings import REPEAT_DAYS_KEY, SHORT_ABANDON_KEY, save_setting

    roll(session)
    period = Period(*ROLLED)
    save_setting(session, SHORT_ABANDON_KEY, "20", "admin")
    save_setting(session, REPEAT_DAYS_KEY, "3", "admin")
    session.flush()
    settings = load_settings(session)
    assert rollup.covered_days(session, "calls", period, settings) == set()
    assert rollup.covered_days(session, "tickets", period, settings) == set()
    assert len(rollup_build.days_to_roll(session, "calls", "Asia/Shanghai", settings)) >= 14
    roll(session)
    assert len(rollup.covered_days(session, "calls", period, settings)) == 14
    queue = session.query(Queue).filter_by(name="12345").one()
    queue.service_level_seconds = (queue.service_level_seconds or 15) + 5
    session.flush()
    assert session.query(KpiRollupDay).filter_by(family="calls").count() == 0
    assert compare_random(session, city, rounds=15) >= 0


def test_today_is_never_rolled(session):
    today = rollup_build.centre_today("Asia/Shanghai")
    assert rollup_build.roll(session, "calls", today - dt.timedelta(days=1), today, "Asia/Shanghai") == 1
    assert session.query(KpiRollupDay).filter_by(family="calls", day=today).count() == 0


def test_the_rollup_command(database_url, session_factory, tmp_path):
    from click.testing import CliRunner

    from ops.cli.kpis import kpis

    env = {"DATABASE_URL": database_url, "HOTLINE_RUN_DIR": str(tmp_path / "run")}
    runner = CliRunner()
    try:
        ranged = runner.invoke(kpis, ["rollup", "--from", "2026-11-01", "--to", "2026-11-02"], env=env)
        assert ranged.exit_code == 0, ranged.output
        assert "calls: 2 days rolled up, tickets: 2 days rolled up" in ranged.output
        due = runner.invoke(kpis, ["rollup"], env=env)   # yesterday, not rolled yet
        assert due.exit_code == 0 and "calls: 1 days rolled up, tickets: 1 days rolled up" in due.output, due.output
        again = runner.invoke(kpis, ["rollup"], env=env)
        assert "calls: 0 days rolled up, tickets: 0 days rolled up" in again.output, again.output
        bad = runner.invoke(kpis, ["rollup", "--from", "2026-13-01"], env=env)
        assert bad.exit_code != 0 and "not a date" in str(bad.exception)   # the CLI main prints it
        with session_factory() as s:
            assert s.query(KpiRollupDay).count() == 6
    finally:
        with session_factory() as s:
            s.query(KpiRollupDay).delete()
            s.commit()


def test_only_days_that_can_be_rolled_up_soon_get_a_marker(monkeypatch):
    from zoneinfo import ZoneInfo

    from db.models.kpis import _days_of

    monkeypatch.setenv("HOTLINE_TIMEZONE", "Asia/Shanghai")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    local_now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    today = local_now.date()
    # the current day gets a marker only in its last hour (then it can be rolled up within the hour)
    assert _days_of(now) == ({today} if local_now.hour == 23 else set())
    assert _days_of(now - dt.timedelta(days=1)) >= {today - dt.timedelta(days=1)}
    assert _days_of(now + dt.timedelta(days=3)) == set()
    old = now - dt.timedelta(days=100)
    old_day = (old + dt.timedelta(hours=8)).date()
    assert {old_day, old_day + dt.timedelta(days=30)} <= _days_of(old, through=365)
    assert max(_days_of(old, through=365)) <= today
    assert min(_days_of(old, through=365)) == old_day


def test_the_rq_cron_entry_points(database_url, session_factory, tmp_path, monkeypatch):
    """roll_dirty_now (every 5 min) rolls yesterday once and a day changed after it was rolled; roll_yesterday_now
    rolls yesterday again whatever the markers say."""
    from hotline.config import current_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HOTLINE_RUN_DIR", str(tmp_path / "run"))
    current_settings.cache_clear()
    try:
        assert rollup_build.roll_dirty_now() == {"calls": 1, "tickets": 1}
        assert rollup_build.roll_dirty_now() == {"calls": 0, "tickets": 0}
        yesterday = rollup_build.centre_today("Asia/Shanghai") - dt.timedelta(days=1)
        with session_factory() as s:   # a call record of yesterday closed now: its day is dirty
            line = s.query(Line).first()
            s.add(Call(uniqueid="rollup-cron.1", caller="13800000000", dialed_number=line.number, line_id=line.id,
                       arrived_at=utc(f"{yesterday} 12:00"), ended_at=utc(f"{yesterday} 12:05"),
                       outcome=CallOutcome.self_served))
            s.commit()
            assert s.query(KpiDirtyDay).filter_by(family="calls", day=yesterday).count() == 1
        assert rollup_build.roll_dirty_now() == {"calls": 1, "tickets": 0}
        assert rollup_build.roll_yesterday_now() == {"calls": 1, "tickets": 1}
        with session_factory() as s:
            period = Period(yesterday, yesterday)
            settings = load_settings(s)
            assert rollup.covered_days(s, "calls", period, settings) == {yesterday}
            [row] = call_counts(s, period, (), {}, settings)
            assert row["received"] == 1
    finally:
        current_settings.cache_clear()
        with session_factory() as s:
            s.query(Call).filter_by(uniqueid="rollup-cron.1").delete()
            s.query(KpiRollupDay).delete()
            s.query(KpiDirtyDay).delete()
            s.commit()


def test_slices_by_topic_district_and_agent_read_their_roll_up_late_changes_included(session, city):
    """诉求分类/区县/话务员: one of them alone or with day/weekday (calls: queue) is read from the slice roll-up,
    with the same sums as the base tables; a ticket moved to another topic and district after its day was
    rolled up is read live until the day is rolled again."""
    roll(session)
    settings = load_settings(session)
    period = Period(FIRST, LAST)
    as_of = utc("2026-03-30 00:00")
    topic = [t for t in session.query(Topic) if t.parent_id is not None][0]
    district = session.query(Department).first()
    queries = [("tickets", ("topic",), {}), ("tickets", ("district",), {}), ("tickets", ("agent",), {}),
               ("tickets", ("day",), {"topic": topic.code}), ("tickets", ("weekday",), {"district": district.code}),
               ("tickets", ("topic",), {"topic": topic.code}), ("tickets", (), {"agent": "agent1001"}),
               ("calls", ("agent",), {}), ("calls", ("agent", "day"), {}), ("calls", ("queue",), {"agent": "1001"}),
               ("calls", ("weekday",), {"agent": "1001"})]
    for family, by, filters in queries:
        assert rollup.plan(session, family, period, by, filters, settings).grain in ("topic", "district", "agent")
        fast, slow = both_paths(session, family, period, by, filters, as_of)
        same(fast, slow, by)
    # what the slice roll-ups do not hold stays on the base tables
    for family, by, filters in [("tickets", ("topic", "hour"), {}), ("tickets", ("topic",), {"line": "12345"}),
                                ("tickets", ("topic", "district"), {}), ("calls", ("agent", "hour"), {}),
                                ("tickets", ("department",), {"district": district.code})]:
        assert rollup.plan(session, family, period, by, filters, settings) is None

    def by_topic():
        return {normalise_key("topic", r["d_topic"]): r["tickets"]
                for r in ticket_counts(session, period, ("topic",), {}, settings, as_of)}

    before = by_topic()
    moved = session.query(Ticket).filter(
        Ticket.number.like("RU%"), Ticket.state != TicketState.merged, Ticket.topic_id != topic.id,
        Ticket.created_at >= utc(f"{ROLLED[0]} 12:00"), Ticket.created_at < utc(f"{ROLLED[1]} 00:00")).first()
    old_topic = session.get(Topic, moved.topic_id).code
    moved.topic_id, moved.district_id = topic.id, district.id
    session.flush()
    after = by_topic()
    assert after[topic.code] == before.get(topic.code, 0) + 1 and after.get(old_topic, 0) == before[old_topic] - 1
    for family, by, filters in queries:
        same(*both_paths(session, family, period, by, filters, as_of), by)
    # its day and, for the repeat rate, the days after it are dirty (read live)
    moved_day = (moved.created_at + dt.timedelta(hours=8)).date()
    assert moved_day not in rollup.covered_days(session, "tickets", period, settings)
    days = rollup_build.days_to_roll(session, "tickets", "Asia/Shanghai", settings)
    for run in rollup.runs_of([d for d in days if ROLLED[0] <= d <= ROLLED[1]], "Asia/Shanghai"):
        rollup_build.roll(session, "tickets", run.first, run.last, "Asia/Shanghai")
    session.flush()
    assert rollup.covered_days(session, "tickets", Period(*ROLLED), settings) == {
        ROLLED[0] + dt.timedelta(days=n) for n in range(14)}
    assert by_topic() == after
    for family, by, filters in queries:
        same(*both_paths(session, family, period, by, filters, as_of), by)


def test_a_long_run_of_due_days_is_rolled_a_month_per_transaction(session_factory, monkeypatch):
    """After migration 0022 every day rolled before is dirty: the cron rolls them back a month at a time."""
    first = rollup_build.centre_today("Asia/Shanghai") - dt.timedelta(days=70)
    with session_factory() as s:
        s.add_all(KpiDirtyDay(family="tickets", day=first + dt.timedelta(days=n), marked_at=utc("2026-03-01 00:00"))
                  for n in range(69))
        s.commit()
    rolled = []
    real = rollup_build.roll

    def recording(session, family, a, b, *args, **kwargs):
        rolled.append((family, a, b))
        return real(session, family, a, b, *args, **kwargs)

    monkeypatch.setattr(rollup_build, "roll", recording)
    try:
        assert rollup_build.roll_due(session_factory, "Asia/Shanghai") == {"calls": 1, "tickets": 70}
        tickets = [(a, b) for family, a, b in rolled if family == "tickets"]
        assert tickets == [(first, first + dt.timedelta(days=30)), (first + dt.timedelta(days=31),
                            first + dt.timedelta(days=61)), (first + dt.timedelta(days=62),
                                                            first + dt.timedelta(days=69))]
    finally:
        with session_factory() as s:
            s.query(KpiRollupDay).delete()
            s.query(KpiDirtyDay).delete()
            s.commit()
