"""Agents (话务员), found by the SIP account their softphone registers with."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Agent


def by_sip_username(session: Session, name: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.sip_username == name))


def by_number(session: Session, number: str) -> Agent | None:
    """By work number (工号), e.g. "1001"."""
    return session.scalar(select(Agent).where(Agent.number == number))
