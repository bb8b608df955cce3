"""Departments (承办单位) by code."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Department


def by_code(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))
