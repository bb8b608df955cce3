"""Small helpers of the KPI tests (fixtures live in conftest.py)."""
from __future__ import annotations

import datetime as dt

BJ = dt.timedelta(hours=8)   # Asia/Shanghai, no daylight saving


def utc(local: str) -> dt.datetime:
    """'2026-03-02 10:00' Beijing time → naive UTC, as the rows store it."""
    return dt.datetime.fromisoformat(local) - BJ


def values(figures: dict) -> dict:
    """{name: value} of a row's figures."""
    return {name: f["value"] for name, f in figures.items()}


def fraction(figure: dict) -> tuple:
    return figure["numerator"], figure["denominator"]
