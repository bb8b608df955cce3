"""`hotline seed --history` at a small scale: the year's size, its daily and weekly cycles, holiday dips, the surge."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from db.models import Call, Satisfaction, Ticket, TicketState
from hotline.errors import HotlineError
from reports.history import generate

BJ = dt.timedelta(hours=8)


def test_a_scaled_year_has_the_centres_rhythms(session):
    report = generate(session, year=2025, scale=0.01)  # 10,000 tickets, 30,000 calls
    assert (report.tickets, report.calls) == (10_000, 30_000)
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.number.like("HS%"))) == 10_000
    assert session.scalar(select(func.count()).select_from(Call).where(Call.uniqueid.like("hs-%"))) == 30_000
    created = [c + BJ for c in session.scalars(select(Ticket.created_at).where(Ticket.number.like("HS%")))]
    by_day = Counter(c.date() for c in created)
    by_hour = Counter(c.hour for c in created)
    assert by_hour[10] > 5 * by_hour[3]                                  # daily cycle
    weekday = sum(by_day[d] for d in by_day if d.weekday() < 5) / sum(1 for d in by_day if d.weekday() < 5)
    assert by_day[dt.date(2025, 10, 2)] < 0.7 * weekday                  # 国庆 National Day holiday
    assert by_day[dt.date(2025, 9, 28)] > 0.8 * weekday * 0.8            # a make-up working Sunday (调休)
    assert by_day[report.surge_day] == max(by_day.values())              # the surge day
    assert min(by_day) == dt.date(2025, 1, 1) and max(by_day) == dt.date(2025, 12, 31)
    states = Counter(session.scalars(select(Ticket.state).where(Ticket.number.like("HS%"))))
    assert states[TicketState.closed] > 0.9 * 10_000
    ratings = Counter(session.scalars(select(Ticket.satisfaction).where(Ticket.number.like("HS%"))))
    assert ratings[None] > 0 and ratings[Satisfaction.dissatisfied] > 0  # not every ticket rated, not all happy
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.extension_days > 0)) > 0
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.reopen_count > 0)) > 0
    with pytest.raises(HotlineError, match="already holds a generated history"):  # a second year would collide
        generate(session, year=2025, scale=0.0001)

