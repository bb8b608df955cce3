"""The KPI knobs a centre sets (CentreSetting rows), with their defaults.

- ``kpis.short_abandon_seconds`` (default 5): a caller who hangs up within this
  wait is a short abandon (短时放弃): a misdial or a hang-up during the first
  prompt, not a call an agent failed to take; kept apart from the abandon rate.
- ``kpis.repeat_days`` (default 30): window of the repeat rate (复重率): same
  caller number, same topic, within this many days before.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CentreSetting
from kpis.errors import InvalidInput

log = logging.getLogger("kpis.settings")

SHORT_ABANDON_KEY = "kpis.short_abandon_seconds"
REPEAT_DAYS_KEY = "kpis.repeat_days"
LIMITS = {SHORT_ABANDON_KEY: (0, 120), REPEAT_DAYS_KEY: (1, 365)}


@dataclass(frozen=True)
class KpiSettings:
    short_abandon_seconds: int = 5
    repeat_days: int = 30


def _parse(key: str, value: str) -> int:
    low, high = LIMITS[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if not low <= number <= high:
        raise ValueError(f"must be between {low} and {high}")
    return number


def load_settings(session: Session) -> KpiSettings:
    """The centre's values; a broken row is logged and the default used (a KPI page must still open)."""
    rows = dict(session.execute(select(CentreSetting.key, CentreSetting.value)
                                .where(CentreSetting.key.in_(tuple(LIMITS)))).all())
    defaults = KpiSettings()
    values = {}
    for key, field in ((SHORT_ABANDON_KEY, "short_abandon_seconds"), (REPEAT_DAYS_KEY, "repeat_days")):
        if key in rows:
            try:
                values[field] = _parse(key, rows[key])
            except ValueError as exc:
                log.error("centre setting %s=%r: %s; using the default %s", key, rows[key], exc,
                          getattr(defaults, field))
    return KpiSettings(**values)


def save_setting(session: Session, key: str, value: str, by: str) -> int:
    """Set one KPI knob (admin); a bad value is refused, never stored."""
    if key not in LIMITS:
        raise InvalidInput.of({"key": f"unknown KPI setting {key!r}; one of {', '.join(LIMITS)}"})
    try:
        number = _parse(key, value)
    except ValueError as exc:
        raise InvalidInput.of({key: str(exc)}) from None
    row = session.get(CentreSetting, key) or CentreSetting(key=key)
    row.value, row.updated_by = str(number), by
    session.add(row)
    return number
