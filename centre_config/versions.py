"""Every change goes through here (配置变更): checked whole, written, versioned and audited in one transaction.

``save`` merges the changes over the item as it is, checks the result (a
ConfigInvalid names each wrong field and nothing is written), writes it and
adds a ConfigVersion row with who, when, before and after. ``restore`` puts
back what the last version replaced, as a new version, so a restore can be
restored too. The caller commits; the kinds changed are collected in
``session.info`` for ``live.after_commit``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from centre_config.agents import AGENTS
from centre_config.calendar_days import CALENDAR_DAYS
from centre_config.errors import ConfigNotFound, NothingToRestore
from centre_config.kind import Kind
from centre_config.lines import LINES
from centre_config.menus import MENUS
from centre_config.queues import QUEUES
from centre_config.switches import SWITCH
from db.models import ConfigVersion
from db.session import utcnow

KINDS: dict[str, Kind] = {k.name: k for k in (LINES, QUEUES, AGENTS, MENUS, SWITCH, CALENDAR_DAYS)}
CHANGES_KEY = "centre_config_changes"


@dataclass
class Saved:
    kind: str
    key: str
    item: Any | None                    # the row (None when deleted)
    version: ConfigVersion | None       # None: nothing changed
    secret: str | None = None           # a new agent's SIP secret: show it once
    data: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.version is not None


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigNotFound(f"there is no kind of configuration {name!r}",
                             f"one of {', '.join(KINDS)}") from None


def current(session: Session, kind: str, key: str) -> dict | None:
    k = kind_of(kind)
    item = k.get(session, k.normalize_key(key))
    return k.dump(item) if item is not None else None


def save(session: Session, kind: str, key: Any, changes: dict[str, Any], *, by: str, create: bool = False,
         action: str | None = None, note: str | None = None) -> Saved:
    """Apply ``changes`` to one item (``create``: it may be new). Nothing is written if a field is wrong."""
    k = kind_of(kind)
    key = k.normalize_key(key)
    item = k.get(session, key)
    if item is None and not create:
        raise ConfigNotFound(f"there is no {k.label} {key}", f"create it first, or check the {k.key_field}")
    before = k.dump(item) if item is not None else None
    data = {**(before or {}), **changes, k.key_field: key}
    clean = k.check(session, data, item)
    secret = None
    new = item is None
    item = k.write(session, item, clean)
    if new and kind == "agent":
        secret = item.sip_secret
    if hasattr(item, "updated_by"):
        item.updated_by = by
    after = k.dump(item)
    if after == before:
        return Saved(kind, key, item, None, data=after)
    version = _record(session, kind, key, action or ("create" if before is None else "update"),
                      before, after, by, note)
    return Saved(kind, key, item, version, secret=secret, data=after)


def remove(session: Session, kind: str, key: Any, *, by: str, note: str | None = None) -> Saved:
    """Retire (agents, lines) or delete (queues, menus, switches, calendar days) one item, audited."""
    k = kind_of(kind)
    key = k.normalize_key(key)
    item = k.get(session, key)
    if item is None:
        raise ConfigNotFound(f"there is no {k.label} {key}")
    before = k.dump(item)
    kept = k.remove(session, item)
    after = k.dump(kept) if kept is not None else None
    if after == before:
        return Saved(kind, key, kept, None, data=after or {})
    version = _record(session, kind, key, "retire" if kept is not None else "delete", before, after, by, note)
    return Saved(kind, key, kept, version, data=after or {})


def restore(session: Session, kind: str, key: Any, *, by: str, version: int | None = None,
            note: str | None = None) -> Saved:
    """Undo the last change (or go back to what ``version`` saved), as a new version."""
    k = kind_of(kind)
    key = k.normalize_key(key)
    rows = history(session, kind, key)
    if not rows:
        raise NothingToRestore(f"{k.label} {key} has no saved versions", "nothing was ever changed here")
    if version is None:
        target, label = rows[0].before, f"before version {rows[0].version}"
    else:
        row = next((r for r in rows if r.version == version), None)
        if row is None:
            raise NothingToRestore(f"{k.label} {key} has no version {version}",
                                   f"versions: {', '.join(str(r.version) for r in reversed(rows))}")
        target, label = row.after, f"version {version}"
    note = note or f"restored {label}"
    if target is None:                       # it did not exist then
        return _with_action(remove(session, kind, key, by=by, note=note), "restore")
    return save(session, kind, key, target, by=by, create=True, action="restore", note=note)


def history(session: Session, kind: str, key: Any, limit: int = 100) -> list[ConfigVersion]:
    """Newest first."""
    key = kind_of(kind).normalize_key(key)
    return list(session.scalars(select(ConfigVersion).where(ConfigVersion.kind == kind, ConfigVersion.key == key)
                                .order_by(ConfigVersion.version.desc()).limit(limit)))


def recent(session: Session, limit: int = 50) -> list[ConfigVersion]:
    return list(session.scalars(select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(limit)))


def changed_fields(version: ConfigVersion) -> dict[str, tuple[Any, Any]]:
    before, after = version.before or {}, version.after or {}
    return {name: (before.get(name), after.get(name)) for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)}


def as_dict(version: ConfigVersion) -> dict[str, Any]:
    return {"kind": version.kind, "key": version.key, "version": version.version, "action": version.action,
            "changed_by": version.changed_by, "changed_at": version.changed_at.isoformat() + "Z",
            "note": version.note, "before": version.before, "after": version.after,
            "changed": {n: {"before": b, "after": a} for n, (b, a) in changed_fields(version).items()}}


def _record(session: Session, kind: str, key: str, action: str, before: dict | None, after: dict | None,
            by: str, note: str | None) -> ConfigVersion:
    number = (session.scalar(select(func.max(ConfigVersion.version))
                             .where(ConfigVersion.kind == kind, ConfigVersion.key == key)) or 0) + 1
    row = ConfigVersion(kind=kind, key=key, version=number, action=action, before=before, after=after,
                        changed_by=by, changed_at=utcnow(), note=(note or None) and note[:255])
    session.add(row)
    session.flush()
    if CHANGES_KEY not in session.info and not event.contains(session, "after_rollback", _forget):
        event.listen(session, "after_rollback", _forget)
    session.info.setdefault(CHANGES_KEY, []).append((kind, key, before, after))
    return row


def _forget(session: Session) -> None:
    """A rolled-back change is no change: nothing to announce."""
    session.info.pop(CHANGES_KEY, None)


def _with_action(saved: Saved, action: str) -> Saved:
    if saved.version is not None:
        saved.version.action = action
    return saved


def pending_changes(session: Session) -> list[tuple[str, str, dict | None, dict | None]]:
    """The changes saved in this session since the last call (taken: a second call returns none)."""
    return session.info.pop(CHANGES_KEY, [])
