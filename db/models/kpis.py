"""Indexes and roll-up tables the KPI queries (``kpis/``) need (指标汇总表), and the marker of days whose rows changed.

复重率 (repeat rate) looks, for every ticket of a period, for an earlier ticket
of the same caller on the same topic within N days: one index range scan each.

Roll-ups (``kpis.rollup``): per centre day × hour × the dimensions the
dashboard and the reports slice by, the sums each call and ticket figure is
built from. A day is read from the roll-up only while it is *covered*
(``kpi_rollup_days``: rolled with the same KPI settings and UTC offset) and
not *dirty* (``kpi_dirty_days``). Every flush that writes a call record, a
ticket, a ticket's return (退单) or an extension (延期) marks the days it can
touch as dirty in the same transaction (``before_flush`` below), so a late
event (a call record closed a day later, a ticket reopened after its day was
rolled up) is read from the base tables until that day is rolled again.

Tickets still waiting for a deadline (``UNSETTLED``: dispatched and neither
accepted nor flagged late, or dispatched and not closed) have figures that
change with time alone (按时签收率/按时办结率/逾期率 compare the deadline with
"now"): they are never rolled up but always counted live, through a partial
index that holds only them.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, event, inspect, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.models.base import Base
from db.models.calls import Call
from db.models.queues import Queue
from db.models.tickets import Ticket, TicketEvent, TicketExtension

REPEAT_LOOKUP = Index("ix_tickets_repeat_lookup", Ticket.caller_phone, Ticket.topic_id, Ticket.created_at)


def unsettled_sql(prefix: str = "") -> str:
    """Tickets whose figures still depend on the clock; the same text in the partial index and the queries."""
    p = prefix
    return (f"{p}dispatched_at IS NOT NULL AND (({p}accepted_at IS NULL AND NOT {p}accept_overdue "
            f"AND {p}accept_due_at IS NOT NULL) OR ({p}state NOT IN ('closed', 'archived', 'merged') "
            f"AND {p}handle_due_at IS NOT NULL))")


UNSETTLED = Index("ix_tickets_unsettled", Ticket.created_at,
                  postgresql_where=text(unsettled_sql()), sqlite_where=text(unsettled_sql()))

CALLS, TICKETS = "calls", "tickets"
REPEAT_DAYS_MAX = 365        # kpis.settings LIMITS: a ticket can make later tickets repeats this far ahead
ROLL_GRACE = dt.timedelta(hours=1)     # the longest a writing transaction is expected to stay open


class KpiCallDaily(Base):
    """Call sums per centre day, hour, queue, line and line owner (wrap-up is added at read time per queue)."""

    __tablename__ = "kpi_call_daily"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    hour: Mapped[int] = mapped_column(Integer)
    queue_name: Mapped[str | None] = mapped_column(String(64))
    line_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    short_abandoned: Mapped[int] = mapped_column(Integer)
    answered_in_sl: Mapped[int] = mapped_column(Integer)
    wait_sum: Mapped[float] = mapped_column(Float)
    answered_wait_sum: Mapped[float] = mapped_column(Float)
    wait_max: Mapped[float | None] = mapped_column(Float)
    talk_sum: Mapped[float] = mapped_column(Float)
    rated: Mapped[int] = mapped_column(Integer)
    rated_satisfied: Mapped[int] = mapped_column(Integer)
    # 一次一评 distribution: answered calls rated 1 (very satisfied) … 5 (very dissatisfied); migration 0019
    rated_1: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rated_2: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rated_3: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rated_4: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    rated_5: Mapped[int] = mapped_column(Integer, server_default=text("0"))


TICKET_SUMS = ("tickets", "resolved_on_call", "dispatched", "accept_decided", "accepted_on_time", "handle_decided",
               "closed_on_time", "overdue", "with_phone", "repeats", "rated", "satisfied", "closed_dispatched",
               "satisfied_closed", "unrated_closed", "visit_due", "visited", "closed", "replied", "returned",
               "extended", "reopened")
CALL_SUMS = ("received", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl", "wait_sum",
             "answered_wait_sum", "wait_max", "talk_sum", "rated", "rated_satisfied", "rated_1", "rated_2",
             "rated_3", "rated_4", "rated_5")


def _ticket_daily_namespace() -> dict:
    namespace = {
        "__doc__": "Counts of settled tickets per centre day and hour written (受理), line and department (主办).",
        "__tablename__": "kpi_ticket_daily", "__module__": __name__,
        "__annotations__": {"id": Mapped[int], "day": Mapped[dt.date], "hour": Mapped[int],
                            "line_id": Mapped[int | None], "department_id": Mapped[int | None]},
        "id": mapped_column(primary_key=True), "day": mapped_column(Date, index=True),
        "hour": mapped_column(Integer), "line_id": mapped_column(Integer, nullable=True),
        "department_id": mapped_column(Integer, nullable=True)}
    for name in TICKET_SUMS:
        namespace[name] = mapped_column(name, Integer, nullable=False)
    return namespace


KpiTicketDaily = type("KpiTicketDaily", (Base,), _ticket_daily_namespace())

# --- the slice roll-ups (按话务员/诉求分类/区县汇总): per centre day × one of the finer dimensions ------------

CALL_FLOATS = ("wait_sum", "answered_wait_sum", "wait_max", "talk_sum")
TICKET_SLICES = ("topic", "district", "agent")   # kpi_ticket_slice_daily.dimension


def _slice_daily_namespace(table: str, doc: str, keys: dict, sums: tuple[str, ...]) -> dict:
    annotations = {"id": Mapped[int], "day": Mapped[dt.date]}
    namespace = {"__doc__": doc, "__tablename__": table, "__module__": __name__, "__annotations__": annotations,
                 "id": mapped_column(primary_key=True), "day": mapped_column(Date, index=True)}
    for name, column in keys.items():
        namespace[name] = column
    for name in sums:
        kind = Float if name in CALL_FLOATS else Integer
        namespace[name] = mapped_column(name, kind, nullable=name == "wait_max")
    return namespace


KpiCallAgentDaily = type("KpiCallAgentDaily", (Base,), _slice_daily_namespace(
    "kpi_call_agent_daily",
    "Call sums per centre day, agent who answered (none: nobody did) and queue (wrap-up is read per queue).",
    {"queue_name": mapped_column(String(64), nullable=True), "agent_id": mapped_column(Integer, nullable=True)},
    CALL_SUMS))

KpiTicketSliceDaily = type("KpiTicketSliceDaily", (Base,), _slice_daily_namespace(
    "kpi_ticket_slice_daily",
    "Counts of settled tickets per centre day and one of topic (诉求分类), district (区县) or writing agent "
    "(受理人): ``dimension`` names which; only that one key column is set (empty: a ticket without it).",
    {"dimension": mapped_column(String(8), nullable=False), "topic_id": mapped_column(Integer, nullable=True),
     "district_id": mapped_column(Integer, nullable=True), "created_by": mapped_column(String(64), nullable=True)},
    TICKET_SUMS))
Index("ix_kpi_ticket_slice_daily_dimension_day", KpiTicketSliceDaily.dimension, KpiTicketSliceDaily.day)


class KpiRollupDay(Base):
    """A centre day rolled up, and with which settings and UTC offset (a change of either uncovers it)."""

    __tablename__ = "kpi_rollup_days"

    family: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    short_abandon_seconds: Mapped[int] = mapped_column(Integer)
    repeat_days: Mapped[int] = mapped_column(Integer)
    rolled_at: Mapped[dt.datetime] = mapped_column(DateTime)


class KpiDirtyDay(Base):
    """A day whose calls or tickets changed since it was rolled up: read from the base tables until rolled again."""

    __tablename__ = "kpi_dirty_days"

    family: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --- marking dirty days --------------------------------------------------------------------------------

def centre_zone() -> ZoneInfo:
    """The centre's time zone (``HOTLINE_TIMEZONE``, as ``hotline.config`` reads it): roll-up days are its days."""
    try:
        return ZoneInfo(os.environ.get("HOTLINE_TIMEZONE") or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _days_of(instant: dt.datetime | None, through: int = 0) -> set[dt.date]:
    """The centre day of ``instant`` (naive UTC) and ``through`` days after (repeat windows), leaving out the
    days that cannot be rolled up within the next hour.

    A day is rolled up only once it is over in centre time. Writes of the current day before its last hour
    (the AGI's call records, nearly all day) write no marker at all, so they never wait on each other's
    marker row; a transaction open across that hour and past midnight is the one case left, and the
    nightly full roll of yesterday covers it.
    """
    if instant is None:
        return set()
    zone = centre_zone()
    first = instant.replace(tzinfo=dt.UTC).astimezone(zone).date()
    soon = dt.datetime.now(zone).replace(tzinfo=None) + ROLL_GRACE
    days = set()
    for n in range(through + 1):
        day = first + dt.timedelta(days=n)
        if dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) > soon:
            break
        days.add(day)
    return days


def _values(obj, name: str) -> list:
    """The attribute's value now and, if changed in this flush, before."""
    history = inspect(obj).attrs[name].history
    return [*history.added, *history.unchanged, *history.deleted] or [getattr(obj, name, None)]


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[n].history.has_changes() for n in names)


def _call_days(call: Call) -> set[dt.date]:
    days: set[dt.date] = set()
    for joined in _values(call, "queue_joined_at"):
        for arrived in _values(call, "arrived_at"):
            days |= _days_of(joined or arrived)
    return days


def _ticket_days(ticket: Ticket, new_or_deleted: bool) -> set[dt.date]:
    # a ticket inserted, deleted or moved to another caller/topic changes whether later ones are repeats
    through = REPEAT_DAYS_MAX if new_or_deleted or _changed(ticket, "caller_phone", "topic_id", "created_at") else 0
    days: set[dt.date] = set()
    for created in _values(ticket, "created_at"):
        days |= _days_of(created, through)
    return days


@event.listens_for(Session, "before_flush")
def _mark_dirty_days(session: Session, _context, _instances) -> None:
    marks: set[tuple[str, dt.date]] = set()
    new, deleted = set(session.new), set(session.deleted)
    for obj in new | deleted | set(session.dirty):
        if isinstance(obj, Call):
            if obj in new or obj in deleted or session.is_modified(obj):
                marks |= {(CALLS, d) for d in _call_days(obj)}
        elif isinstance(obj, Ticket):
            if obj in new or obj in deleted or session.is_modified(obj):
                marks |= {(TICKETS, d) for d in _ticket_days(obj, obj in new or obj in deleted)}
        elif isinstance(obj, TicketEvent | TicketExtension):
            ticket = obj.ticket if "ticket" in inspect(obj).dict else None
            if ticket is None and obj.ticket_id is not None:
                with session.no_autoflush:
                    ticket = session.get(Ticket, obj.ticket_id)
            if ticket is not None and ticket.created_at is not None:
                marks |= {(TICKETS, d) for d in _days_of(ticket.created_at)}
        elif isinstance(obj, Queue) and (obj in new or obj in deleted
                                         or _changed(obj, "name", "service_level_seconds")):
            # 15秒接通率 reads the queue's service level: every rolled call day is uncovered
            session.execute(KpiRollupDay.__table__.delete().where(KpiRollupDay.family == CALLS))
    done = session.info.setdefault("kpi_dirty_marked", set())
    marks -= done
    if not marks:
        return
    done |= marks
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(KpiDirtyDay.__table__).values(
        [{"family": family, "day": day, "marked_at": now} for family, day in sorted(marks)])
    # DO UPDATE, not DO NOTHING: the row lock makes a concurrent roll-up wait for this commit before it
    # clears the marker, so a change it could not see is never forgotten
    statement = statement.on_conflict_do_update(index_elements=["family", "day"],
                                                set_={"marked_at": statement.excluded.marked_at})
    session.execute(statement)


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, _transaction) -> None:
    # any end, a savepoint's too: a marker rolled back with a savepoint must be written again
    session.info.pop("kpi_dirty_marked", None)
