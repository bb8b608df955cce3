"""Demo web logins (`hotline seed`): created once each, with a generated password.

Kept apart from db.seed because it returns secrets: the caller decides where
the new passwords go (the CLI writes them once to a 0600 file in the run folder).
"""
from __future__ import annotations

import secrets
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from db.models import Agent, Department, Role, User
from hotline.errors import HotlineError

USERS_FILE = Path(__file__).resolve().parent / "seed_data" / "users.yaml"


def new_password() -> str:
    return secrets.token_urlsafe(12)


def seed_users(session: Session, path: Path = USERS_FILE) -> dict[str, str]:
    """Create the users that do not exist; returns {username: password} of the new ones only."""
    created: dict[str, str] = {}
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        if session.query(User).filter_by(username=entry["username"]).one_or_none() is not None:
            continue
        user = User(username=entry["username"], display_name=entry["display_name"], role=Role(entry["role"]))
        if code := entry.get("department"):
            user.department = _one(session, Department, code=code)
        if number := entry.get("agent"):
            user.agent = _one(session, Agent, number=str(number))
        password = new_password()
        user.set_password(password)
        session.add(user)
        created[user.username] = password
    session.flush()
    return created


def _one(session: Session, model, **by):
    row = session.query(model).filter_by(**by).one_or_none()
    if row is None:
        raise HotlineError(f"users.yaml names a {model.__name__} that does not exist: {by}",
                           "fix db/seed_data/users.yaml or the seed file it refers to")
    return row
