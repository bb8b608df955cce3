"""A KPI period in centre time (统计周期) and the SQL that turns stored UTC into centre hours and days.

Timestamps are stored as naive UTC. A period is whole local days, ``first`` to
``last`` inclusive, as the centre counts them (Asia/Shanghai by default). The
shift from UTC to centre time is done in SQL with a fixed offset, which is
exact for zones without daylight saving in the period (China has had none
since 1991); a period across an offset change is refused with a clear error.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, Integer, cast, extract, func, literal_column, text

from kpis.errors import InvalidInput

MAX_DAYS = 3 * 366  # a query over more is a report job, not a page


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    timezone: str = "Asia/Shanghai"

    @classmethod
    def parse(cls, first: str | None, last: str | None, timezone: str, today: dt.date) -> Period:
        """From the API's ``from``/``to`` (YYYY-MM-DD, centre dates, both included); default: today."""
        errors: dict[str, str] = {}

        def day(text, name):
            if text in (None, ""):
                return None
            try:
                return dt.date.fromisoformat(str(text).strip()[:10])
            except ValueError:
                errors[name] = f"{text!r} is not a date: write YYYY-MM-DD (centre time)"
                return None
        start, end = day(first, "from"), day(last, "to")
        if errors:
            raise InvalidInput.of(errors)
        start = start or end or today
        end = end or (start if first is None else max(start, today))
        period = cls(start, end, timezone)
        period.check()
        return period

    def check(self) -> None:
        if self.last < self.first:
            raise InvalidInput.of({"to": f"{self.last} is before from={self.first}"})
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise InvalidInput.of({"to": f"at most {MAX_DAYS} days in one query"})
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput.of({"timezone": f"unknown time zone {self.timezone!r}"}) from None
        start, end = self.utc_bounds()
        offsets = {start.replace(tzinfo=dt.UTC).astimezone(zone).utcoffset(),
                   end.replace(tzinfo=dt.UTC).astimezone(zone).utcoffset()}
        if len(offsets) > 1:
            raise InvalidInput.of({"to": f"the centre's UTC offset changes within {self.first}…{self.last} "
                                         "(daylight saving): split the period at the change"})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in naive UTC: local midnight of ``first`` to local midnight after ``last``."""
        def utc(day: dt.date) -> dt.datetime:
            local = dt.datetime.combine(day, dt.time(), self.zone)
            return local.astimezone(dt.UTC).replace(tzinfo=None)
        return utc(self.first), utc(self.last + dt.timedelta(days=1))

    @property
    def offset_minutes(self) -> int:
        start, _ = self.utc_bounds()
        offset = start.replace(tzinfo=dt.UTC).astimezone(self.zone).utcoffset()
        return int(offset.total_seconds() // 60)

    def as_dict(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.timezone}


class CentreClock:
    """SQL expressions for a UTC column seen in centre time, for SQLite and PostgreSQL."""

    def __init__(self, dialect: str, offset_minutes: int):
        if dialect not in ("sqlite", "postgresql"):
            raise InvalidInput.of({"database": f"KPIs are computed on SQLite or PostgreSQL, not {dialect}"})
        self.dialect = dialect
        self.offset = int(offset_minutes)

    def _modifier(self):
        # an int formatted by us, never user text: a literal keeps GROUP BY identical to the SELECT
        return literal_column(f"'{self.offset:+d} minutes'")

    def _local(self, column):
        return column + literal_column(f"INTERVAL '{self.offset:d} minutes'")

    def hour(self, column):
        if self.dialect == "sqlite":
            return cast(func.strftime("%H", column, self._modifier()), Integer)
        return cast(extract("hour", self._local(column)), Integer)

    def weekday(self, column):
        """0 = Sunday … 6 = Saturday, on both databases."""
        if self.dialect == "sqlite":
            return cast(func.strftime("%w", column, self._modifier()), Integer)
        return cast(extract("dow", self._local(column)), Integer)

    def day(self, column):
        """The local date; SQLite gives 'YYYY-MM-DD' text, PostgreSQL a date (normalised by the caller)."""
        if self.dialect == "sqlite":
            return func.date(column, self._modifier())
        return cast(self._local(column), Date)

    def shifted(self, column, seconds: int):
        """``column`` moved by a whole number of seconds (for windows like "within 30 days before")."""
        if self.dialect == "sqlite":
            return func.datetime(column, literal_column(f"'{int(seconds):+d} seconds'"))
        return column + literal_column(f"INTERVAL '{int(seconds):d} seconds'")


def without_jit(session) -> None:
    """PostgreSQL's JIT compiles these one-shot aggregates for longer than they run (1.8 s of 3.7 s on a month
    of a big city's tickets): switched off for the current transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
