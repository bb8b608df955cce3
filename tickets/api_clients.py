"""Channel clients (渠道接入): the web form, SMS and WeChat gateways that create tickets via Open311.

Each has an api_key, shown once when created and stored only as its SHA-256.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ApiClient, TicketChannel
from db.session import utcnow
from tickets.errors import InvalidInput

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, name: str, channel: str) -> str:
    """A new active client; returns its api_key (the only time it is visible)."""
    name = (name or "").strip()
    errors = {}
    if not NAME.match(name):
        errors["name"] = "2-64 lower-case letters, digits, '.', '_' or '-'"
    elif session.scalar(select(ApiClient.id).where(ApiClient.name == name)):
        errors["name"] = f"{name!r} exists already"
    try:
        channel_value = TicketChannel(channel)
        if channel_value is TicketChannel.phone:
            raise ValueError
    except ValueError:
        errors["channel"] = "one of web, sms, wechat, mailbox"
    if errors:
        raise InvalidInput.of(errors)
    key = secrets.token_urlsafe(24)
    session.add(ApiClient(name=name, channel=channel_value, key_hash=key_hash(key)))
    session.flush()
    return key


def authenticate(session: Session, key: str | None) -> ApiClient | None:
    """The active client owning ``key``; None for a missing, wrong or deactivated key."""
    if not key:
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_hash == key_hash(key)))
    if client is None or not client.active or not hmac.compare_digest(client.key_hash, key_hash(key)):
        return None
    client.last_used_at = utcnow()
    return client
