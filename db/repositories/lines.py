"""Lines (热线号码) by dialed number."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Line


def find_by_number(session: Session, number: str) -> Line | None:
    """The line for a dialed number (DNIS); None means the plain 12345 flow."""
    return session.scalar(select(Line).where(Line.number == number.strip()))
