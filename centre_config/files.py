"""Configuration as code (配置即代码): export and import the YAML of ``db/seed_data/``, and the diff between.

``lines.yaml``, ``queues.yaml``, ``agents.yaml`` (with their queues and penalties),
``calendar_days.yaml``, ``centre_settings.yaml`` and ``menus/<name>.yaml``. An export
writes every field, so an import of it changes nothing; an import, like the seed,
upserts the fields an entry names and deletes nothing. It goes through
``versions.save`` item by item in the caller's one transaction: one wrong field
anywhere and nothing is saved.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from centre_config import versions
from centre_config.errors import ConfigInvalid
from hotline.errors import HotlineError

FILES = {  # kind → file, in the order an import applies them (queues before the agents that join them)
    "queue": "queues.yaml",
    "agent": "agents.yaml",
    "menu": "menus",
    "line": "lines.yaml",
    "calendar_day": "calendar_days.yaml",
    "switch": "centre_settings.yaml",
}
DATE_FIELDS = {"notice_until", "day"}
DATETIME_FIELDS = {"active_from", "active_until"}
HEADER = "# exported by `hotline config export`; import with `hotline config import` (the seed reads it too)\n"


@dataclass
class Difference:
    kind: str
    key: str
    action: str                               # create, update
    fields: dict[str, tuple[Any, Any]]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "key": self.key, "action": self.action,
                "fields": {n: {"now": a, "file": b} for n, (a, b) in self.fields.items()}}


def export(session: Session, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name in FILES.items():
        k = versions.kind_of(kind)
        entries = [_to_yaml(kind, k.dump(k.get(session, key))) for key in k.keys(session)]
        if kind == "menu":
            (folder / name).mkdir(exist_ok=True)
            for entry in entries:
                path = folder / name / f"{entry['name']}.yaml"
                path.write_text(entry["source"], encoding="utf-8")
                written.append(path)
            continue
        path = folder / name
        path.write_text(HEADER + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=120),
                        encoding="utf-8")
        written.append(path)
    return written


def read(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The entries of every file present in ``folder``, by kind."""
    folder = Path(folder)
    if not folder.is_dir():
        raise HotlineError(f"{folder} is not a folder", "give the folder `hotline config export` wrote")
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, name in FILES.items():
        path = folder / name
        if kind == "menu":
            if path.is_dir():
                found[kind] = [{"name": p.stem, "source": p.read_text(encoding="utf-8")}
                               for p in sorted(path.glob("*.yaml"))]
            continue
        if not path.exists():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise HotlineError(f"{path}: not valid YAML: {exc}", "fix the file") from None
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise HotlineError(f"{path}: expected a list of entries", "see db/seed_data/ for the format")
        key_field = versions.kind_of(kind).key_field
        for i, entry in enumerate(data, 1):
            if entry.get(key_field) in (None, ""):
                raise HotlineError(f"{path}: entry {i} has no {key_field!r}", f"give every entry a {key_field}")
        found[kind] = data
    return found


def diff(session: Session, folder: Path) -> list[Difference]:
    """What ``import_folder`` would change, computed by doing it in a savepoint and rolling it back."""
    nested = session.begin_nested()
    try:
        return _apply(session, read(folder), by="diff")
    finally:
        nested.rollback()
        versions.pending_changes(session)


def import_folder(session: Session, folder: Path, *, by: str) -> list[Difference]:
    return _apply(session, read(folder), by=by)


def _apply(session: Session, found: dict[str, list[dict[str, Any]]], *, by: str) -> list[Difference]:
    out: list[Difference] = []
    errors: dict[str, str] = {}
    for kind, entries in found.items():
        k = versions.kind_of(kind)
        later: list[tuple[str, dict]] = []
        for entry in entries:
            entry = dict(entry)
            key = k.normalize_key(entry.pop(k.key_field))
            if kind == "queue" and entry.get("overflow") and k.get(session, str(entry["overflow"])) is None:
                later.append((key, {"overflow": entry.pop("overflow")}))    # the target comes later in the file
            _one(session, kind, key, entry, by, out, errors)
        for key, entry in later:
            _one(session, kind, key, entry, by, out, errors)
    if errors:
        raise ConfigInvalid("import", errors)
    return _merge(out)


def _one(session, kind, key, entry, by, out, errors) -> None:
    try:
        saved = versions.save(session, kind, key, entry, by=by, create=True, action="import", note="import")
    except ConfigInvalid as exc:
        errors.update({f"{kind} {key}: {name}": message for name, message in exc.fields.items()})
        return
    if saved.version is not None:
        v = saved.version
        out.append(Difference(kind, key, "create" if v.before is None else "update", versions.changed_fields(v)))


def _merge(found: list[Difference]) -> list[Difference]:
    """One difference per item (a queue whose overflow came in a second pass)."""
    merged: dict[tuple[str, str], Difference] = {}
    for d in found:
        if (d.kind, d.key) in merged:
            first = merged[(d.kind, d.key)]
            first.fields.update({n: (first.fields.get(n, v)[0], v[1]) for n, v in d.fields.items()})
        else:
            merged[(d.kind, d.key)] = d
    return list(merged.values())


def _to_yaml(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in data.items():
        if isinstance(value, str) and name in DATE_FIELDS:
            value = dt.date.fromisoformat(value)
        elif isinstance(value, str) and name in DATETIME_FIELDS:
            value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
        out[name] = value
    if kind == "agent":
        out["queues"] = dict(out.get("queues") or {})
    if kind == "queue":
        out.pop("members", None)         # the seed format keeps memberships with the agents
    return out
