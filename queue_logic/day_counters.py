"""Today's queue and agent counters (今日计数) rebuilt from the call records, when Redis lost them.

The listener counts from AMI events into Redis (queue_logic.live_state) and keeps
the totals in its memory, so a Redis restart alone loses nothing. When Redis and
the listener both start afresh (a reboot, a Redis restarted while the listener was
down) the day's figures are rebuilt from the ``calls`` table: offered = calls that
joined a queue today, answered / abandoned by outcome, wait and talk seconds, and
answered within the queue's service level. ``exited`` (left the queue by timeout)
is not in the call record and starts from zero.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import Call, CallOutcome
from db.models import Queue as QueueRow


def day_bounds_utc(day: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """YYYYMMDD in the centre's time → [start, end) as naive UTC (how timestamps are stored)."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=zone)
    end = start + dt.timedelta(days=1)
    return tuple(t.astimezone(dt.timezone.utc).replace(tzinfo=None) for t in (start, end))


def counters_from_calls(session: Session, day: str, timezone: str) -> dict[tuple[str, str], dict[str, int]]:
    """{("queue", "12345"): {"offered": .., "answered": ..}, ("agent", "1001"): {...}} for ``day``."""
    start, end = day_bounds_utc(day, timezone)
    levels = {q.name: q.service_level_seconds for q in session.scalars(select(QueueRow))}
    out: dict[tuple[str, str], dict[str, int]] = {}

    def add(kind: str, name: str, field: str, amount: int = 1) -> None:
        fields = out.setdefault((kind, name), {})
        fields[field] = fields.get(field, 0) + amount

    calls = session.scalars(select(Call).options(selectinload(Call.agent))
                            .where(Call.queue_joined_at >= start, Call.queue_joined_at < end,
                                   Call.queue_name.is_not(None)))
    for call in calls:
        queue = call.queue_name
        add("queue", queue, "offered")
        if call.outcome == CallOutcome.answered:
            wait, talk = int(call.wait_seconds or 0), int(call.talk_seconds or 0)
            add("queue", queue, "answered")
            add("queue", queue, "wait_seconds", wait)
            add("queue", queue, "talk_seconds", talk)
            if wait <= levels.get(queue, 15):
                add("queue", queue, "answered_in_sl")
            if call.agent is not None:
                add("agent", call.agent.number, "answered")
                add("agent", call.agent.number, "talk_seconds", talk)
        elif call.outcome == CallOutcome.abandoned:
            add("queue", queue, "abandoned")
    return out
