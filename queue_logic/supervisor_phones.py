"""Supervisors' own phones (值班长话机): where listen / whisper / barge ring.

One PJSIP endpoint per web user with the supervisor role: user "supervisor" →
endpoint "sup-supervisor". Its SIP password is generated on first use and kept,
like the other generated secrets, in a 0600 file of the run folder
(``supervisor-phones.json``), never in the database or the repository.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Role, User
from hotline.config import Settings
from queue_logic.ami_actions import supervisor_endpoint

FILE_NAME = "supervisor-phones.json"


def _load(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def _save(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


def supervisor_phones(settings: Settings, session: Session) -> list[dict]:
    """[{username, name, sip_username, sip_secret}] for every active supervisor; creates missing secrets."""
    path = settings.run_dir / FILE_NAME
    known = _load(path)
    phones = []
    for user in session.scalars(select(User).where(User.role == Role.supervisor, User.active.is_(True))
                                .order_by(User.username)):
        endpoint = supervisor_endpoint(user.username)
        if endpoint not in known:
            known[endpoint] = secrets.token_urlsafe(16)
        phones.append({"username": user.username, "name": user.display_name, "sip_username": endpoint,
                       "sip_secret": known[endpoint]})
    if known != _load(path):
        _save(path, known)
    return phones
