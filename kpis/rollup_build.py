"""Building the KPI roll-ups (汇总生成): ``roll`` recomputes days; the rq cron and ``hotline kpis rollup`` call it.

Kept up by the rq cron (``roll_dirty_now`` every few minutes: dirty days,
days rolled with old settings or UTC offset, and yesterday once it is over;
``roll_yesterday_now`` nightly, yesterday again in full) and by
``hotline kpis rollup [--from --to]``. Today is never rolled: it is still
happening. Reading is ``kpis.rollup``.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from db.models.kpis import (
    CALL_SUMS,
    CALLS,
    TICKET_SLICES,
    TICKET_SUMS,
    KpiDirtyDay,
    KpiRollupDay,
    unsettled_sql,
)
from db.session import utcnow
from kpis.calls import call_sums
from kpis.errors import InvalidInput
from kpis.period import CentreClock, Period, without_jit
from kpis.rollup import FAMILIES, SLICE_TABLES, TABLES, days_of_period, runs_of, setting_matches
from kpis.settings import KpiSettings, load_settings
from kpis.tickets import ticket_sums

log = logging.getLogger(__name__)


def centre_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    from zoneinfo import ZoneInfo

    now = now or utcnow()
    return now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()


def roll(session: Session, family: str, first: dt.date, last: dt.date, timezone: str,
         settings: KpiSettings | None = None, now: dt.datetime | None = None) -> int:
    """Recompute the roll-up of ``family`` for the centre days first…last (only days already over); the caller
    commits. Returns the number of days rolled."""
    if family not in FAMILIES:
        raise InvalidInput.of({"family": f"one of {', '.join(FAMILIES)}"})
    now = now or utcnow()
    last = min(last, centre_today(timezone, now) - dt.timedelta(days=1))   # today is still happening
    if last < first:
        return 0
    period = Period(first, last, timezone)
    period.check()
    settings = settings or load_settings(session)
    clock = CentreClock(session.get_bind().dialect.name, period.offset_minutes)
    session.info.pop("kpi_dirty_marked", None)   # this session's own markers are gone too: mark again
    # the markers go first: a writer still holding one (its change not yet visible) makes this wait for it
    session.execute(delete(KpiDirtyDay).where(KpiDirtyDay.family == family, KpiDirtyDay.day.between(first, last)))
    for table in (TABLES[family], SLICE_TABLES[family]):
        session.execute(delete(table).where(table.day.between(first, last)))
    session.execute(delete(KpiRollupDay).where(KpiRollupDay.family == family,
                                               KpiRollupDay.day.between(first, last)))
    without_jit(session)
    start, end = period.utc_bounds()
    if family == CALLS:
        from db.models import Call

        query, at = call_sums(clock, start, end, settings)
        keys = [clock.day(at).label("day"), clock.hour(at).label("hour"), Call.queue_name.label("queue_name"),
                Call.line_id.label("line_id"), Call.department_id.label("department_id")]
        names = CALL_SUMS
    else:
        from db.models import Ticket

        query = ticket_sums(clock, start, end, settings, now).where(_settled())
        keys = [clock.day(Ticket.created_at).label("day"), clock.hour(Ticket.created_at).label("hour"),
                Ticket.line_id.label("line_id"), Ticket.department_id.label("department_id")]
        names = TICKET_SUMS
    rows = _grouped(session, query, keys, names)
    if rows:
        session.execute(insert(TABLES[family]), rows)
    if family == CALLS:
        query, at = call_sums(clock, start, end, settings)
        slices = _grouped(session, query, [clock.day(at).label("day"), Call.queue_name.label("queue_name"),
                                           Call.agent_id.label("agent_id")], names)
    else:
        slices = _ticket_slices(session, ticket_sums(clock, start, end, settings, now).where(_settled()), clock)
    if slices:
        session.execute(insert(SLICE_TABLES[family]), slices)
    session.execute(insert(KpiRollupDay), [
        {"family": family, "day": day, "offset_minutes": period.offset_minutes,
         "short_abandon_seconds": settings.short_abandon_seconds, "repeat_days": settings.repeat_days,
         "rolled_at": now} for day in days_of_period(first, last)])
    return (last - first).days + 1


def _grouped(session: Session, query, keys: list, names) -> list[dict]:
    """The sums of ``query`` grouped by ``keys`` (the first the centre day), as roll-up rows."""
    rows = []
    for row in session.execute(query.add_columns(*keys).group_by(*keys)):
        values = row._mapping
        day = values["day"]
        rows.append({"day": day if isinstance(day, dt.date) else dt.date.fromisoformat(day),
                     **{k.name: values[k.name] for k in keys[1:]}, **{n: values[n] for n in names}})
    return rows


SLICE_KEYS = {"topic": "topic_id", "district": "district_id", "agent": "created_by"}


def _ticket_slices(session: Session, query, clock: CentreClock) -> list[dict]:
    """One SELECT per day × topic × district × agent, summed here into a row per day × each one of them
    (the same as three GROUP BYs, but the tickets and their repeat look-ups are read once)."""
    from db.models import Ticket

    keys = [clock.day(Ticket.created_at).label("day"), *(getattr(Ticket, c).label(c) for c in SLICE_KEYS.values())]
    out: dict[tuple, dict] = {}
    for fine in _grouped(session, query, keys, TICKET_SUMS):
        for dimension in TICKET_SLICES:
            column = SLICE_KEYS[dimension]
            key = (fine["day"], dimension, fine[column])
            row = out.get(key)
            if row is None:
                out[key] = {"day": fine["day"], "dimension": dimension, "topic_id": None, "district_id": None,
                            "created_by": None, column: fine[column], **{n: fine[n] for n in TICKET_SUMS}}
            else:
                for n in TICKET_SUMS:
                    row[n] += fine[n]
    return list(out.values())


def _settled():
    return text(f"NOT ({unsettled_sql('tickets.')})")


def days_to_roll(session: Session, family: str, timezone: str, settings: KpiSettings,
                 now: dt.datetime | None = None) -> list[dt.date]:
    """Dirty days, days rolled with other settings or offset, and yesterday if not rolled: all before today."""
    today = centre_today(timezone, now)
    yesterday = today - dt.timedelta(days=1)
    offset = Period(yesterday, yesterday, timezone).offset_minutes
    days = set(session.scalars(select(KpiDirtyDay.day).where(KpiDirtyDay.family == family,
                                                             KpiDirtyDay.day < today)))
    days |= set(session.scalars(select(KpiRollupDay.day).where(
        KpiRollupDay.family == family,
        or_(KpiRollupDay.offset_minutes != offset, ~setting_matches(family, settings)))))
    rolled_yesterday = session.scalar(select(KpiRollupDay.day).where(
        and_(KpiRollupDay.family == family, KpiRollupDay.day == yesterday)))
    if rolled_yesterday is None:
        days.add(yesterday)
    return sorted(days)


def roll_due(session_factory, timezone: str, now: dt.datetime | None = None,
             chunk_days: int = 31) -> dict[str, int]:
    """Roll every day ``days_to_roll`` names, one transaction per run of days (at most a month: after
    migration 0022 every day rolled before is due). Returns days rolled per family."""
    done = {}
    for family in FAMILIES:
        with session_factory() as session:
            settings = load_settings(session)
            runs = runs_of(days_to_roll(session, family, timezone, settings, now), timezone)
        done[family] = 0
        for run in runs:
            day = run.first
            while day <= run.last:
                end = min(run.last, day + dt.timedelta(days=chunk_days - 1))
                with session_factory() as session:
                    done[family] += roll(session, family, day, end, timezone, settings, now)
                    session.commit()
                day = end + dt.timedelta(days=1)
    return done


def roll_range(session_factory, first: dt.date, last: dt.date, timezone: str,
               now: dt.datetime | None = None, chunk_days: int = 31) -> dict[str, int]:
    """Roll first…last for both families, a month per transaction (``hotline kpis rollup --from --to``)."""
    done = {}
    for family in FAMILIES:
        done[family] = 0
        day = first
        while day <= last:
            end = min(last, day + dt.timedelta(days=chunk_days - 1))
            with session_factory() as session:
                done[family] += roll(session, family, day, end, timezone, now=now)
                session.commit()
            day = end + dt.timedelta(days=1)
    return done


def roll_dirty_now() -> dict[str, int]:
    """The periodic entry point (``ops.scheduler.PERIODIC``): what changed, old settings, and yesterday."""
    from db.session import make_engine, make_session_factory
    from hotline.config import current_settings

    settings = current_settings()
    engine = make_engine(settings.database_url)
    try:
        done = roll_due(make_session_factory(engine), settings.timezone)
    finally:
        engine.dispose()
    if any(done.values()):
        log.info("KPI roll-up: %s", ", ".join(f"{n} days of {f}" for f, n in done.items()))
    return done


def roll_yesterday_now() -> dict[str, int]:
    """Nightly: yesterday rolled again in full, whatever the markers say (a safety net under them)."""
    from db.session import make_engine, make_session_factory
    from hotline.config import current_settings

    settings = current_settings()
    yesterday = centre_today(settings.timezone) - dt.timedelta(days=1)
    engine = make_engine(settings.database_url)
    try:
        return roll_range(make_session_factory(engine), yesterday, yesterday, settings.timezone)
    finally:
        engine.dispose()
