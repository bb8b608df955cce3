"""Staged merging (逐步整合): a change saved now and applied at a moment, e.g. 12319 merged on 2027-01-01.

The change is checked when it is staged (against the item as it is then) and
checked again when it is applied; if it no longer fits, it stays pending with
the reason in ``error`` and the admin sees it on the line's page.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config import versions
from centre_config.errors import ConfigError, ConfigInvalid, ConfigNotFound
from centre_config.fields import json_value
from db.models import ScheduledChange
from db.session import utcnow

log = logging.getLogger(__name__)


def schedule(session: Session, kind: str, key: Any, changes: dict[str, Any], due_at: dt.datetime, *, by: str,
             note: str | None = None, now: dt.datetime | None = None) -> ScheduledChange:
    """Stage ``changes`` for ``due_at`` (naive UTC, or aware); refused now if they would be refused then."""
    k = versions.kind_of(kind)
    key = k.normalize_key(key)
    if due_at.tzinfo is not None:
        due_at = due_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if due_at <= (now or utcnow()):
        raise ConfigInvalid(f"staged change of {k.label} {key}", {"due_at": "must be in the future "
                                                                  "(save the change directly instead)"})
    if not changes:
        raise ConfigInvalid(f"staged change of {k.label} {key}", {"changes": "nothing to change"})
    item = k.get(session, key)
    if item is None:
        raise ConfigNotFound(f"there is no {k.label} {key}")
    k.check(session, {**k.dump(item), **changes, k.key_field: key}, item)    # raises ConfigInvalid
    row = ScheduledChange(kind=kind, key=key, due_at=due_at, created_by=by, note=note,
                          changes={n: json_value(v) for n, v in changes.items()})
    session.add(row)
    session.flush()
    return row


def pending(session: Session, kind: str | None = None, key: str | None = None) -> list[ScheduledChange]:
    query = select(ScheduledChange).where(ScheduledChange.applied_at.is_(None),
                                          ScheduledChange.cancelled_at.is_(None))
    if kind is not None:
        query = query.where(ScheduledChange.kind == kind)
    if key is not None:
        query = query.where(ScheduledChange.key == key)
    return list(session.scalars(query.order_by(ScheduledChange.due_at, ScheduledChange.id)))


def cancel(session: Session, change_id: int, *, by: str) -> ScheduledChange:
    row = session.get(ScheduledChange, change_id)
    if row is None or not row.pending:
        raise ConfigNotFound(f"there is no pending staged change {change_id}")
    row.cancelled_at, row.cancelled_by = utcnow(), by
    session.flush()
    return row


def apply_due(session: Session, now: dt.datetime | None = None) -> list[ScheduledChange]:
    """Apply every pending change whose moment has come, oldest first; each in its own savepoint.

    Idempotent: an applied change is marked, so a job that runs twice applies it once.
    """
    now = now or utcnow()
    done = []
    due = session.scalars(select(ScheduledChange).where(
        ScheduledChange.applied_at.is_(None), ScheduledChange.cancelled_at.is_(None),
        ScheduledChange.due_at <= now).order_by(ScheduledChange.due_at, ScheduledChange.id)
        .with_for_update(skip_locked=True))
    for row in list(due):
        nested = session.begin_nested()
        try:
            saved = versions.save(session, row.kind, row.key, dict(row.changes), by=row.created_by,
                                  action="scheduled", note=row.note or f"staged change {row.id}")
        except ConfigError as exc:
            nested.rollback()
            row.error = exc.problem
            log.warning("staged change %s of %s %s not applied: %s", row.id, row.kind, row.key, exc.problem)
            continue
        nested.commit()
        row.applied_at, row.error = now, None
        row.applied_version_id = saved.version.id if saved.version is not None else None
        done.append(row)
    session.flush()
    return done


def as_dict(row: ScheduledChange) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "key": row.key, "due_at": row.due_at.isoformat() + "Z",
            "changes": row.changes, "created_by": row.created_by, "note": row.note, "error": row.error,
            "applied_at": row.applied_at.isoformat() + "Z" if row.applied_at else None,
            "cancelled_at": row.cancelled_at.isoformat() + "Z" if row.cancelled_at else None}
