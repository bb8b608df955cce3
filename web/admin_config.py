"""The centre's configuration pages (中心配置) for the admin: lines, queues, agents, menus, switches, holidays.

Thin views over ``centre_config``: one generic form per item (its fields as the
API shows them), its history with a restore button, and for a line the staged
changes (逐步整合) and the greeting recording upload.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from centre_config import staging, versions
from centre_config.errors import ConfigError, ConfigInvalid
from centre_config.greetings import store_recording
from centre_config.lines import COLUMNS as LINE_COLUMNS
from centre_config.queues import COLUMNS as QUEUE_COLUMNS
from centre_config.queues import STRATEGIES
from db.models import LineMode, Role
from ivr.menu import LANGUAGES
from web import database
from web.auth import login_required
from web.config_api import RESOURCES, commit

bp = Blueprint("admin_config", __name__, url_prefix="/admin/config")

KIND_OF_PATH = {path: kind for path, kind, _ in RESOURCES}
PATH_OF_KIND = {kind: path for path, kind, _ in RESOURCES}
TITLES = {"line": "热线号码 Lines", "queue": "队列 Queues", "agent": "话务员 Agents", "menu": "语音导航 Menus",
          "switch": "中心开关 Switches", "calendar_day": "节假日调整 Holidays"}
FIELDS = {  # the form of a new item (an existing one shows the fields it has)
    "line": (*LINE_COLUMNS, "department"),
    "queue": (*QUEUE_COLUMNS, "overflow", "members"),
    "agent": ("number", "name", "sip_username", "languages", "skills", "active", "queues"),
    "menu": ("name", "source"),
    "switch": ("key", "enabled"),
    "calendar_day": ("day", "workday", "note"),
}
COLUMNS = {  # the overview's columns per kind
    "line": ("number", "mode", "name", "department", "notice_until", "queue_name", "active"),
    "queue": ("name", "display_name", "strategy", "ring_timeout_seconds", "max_wait_seconds", "overflow", "members"),
    "agent": ("number", "name", "sip_username", "languages", "queues", "active"),
    "menu": ("name",),
    "switch": ("key", "enabled"),
    "calendar_day": ("day", "workday", "note"),
}
CHOICES = {"mode": [m.value for m in LineMode], "language": list(LANGUAGES), "strategy": list(STRATEGIES)}
BOOLEANS = {"no_menu", "active", "announce_position", "enabled", "workday"}
MAPS = {"members", "queues"}
READ_ONLY = {"greeting", "greeting_recording"}     # set by the greeting text and the recording upload
TEXTAREAS = {"source", "greeting_text", "notes"}


def _kind(path: str) -> str:
    if path not in KIND_OF_PATH:
        abort(404)
    return KIND_OF_PATH[path]


def form_changes(kind: str, form) -> dict:
    changes = {}
    for name in FIELDS[kind]:
        if name not in form or name in READ_ONLY:
            continue
        value = form.get(name, "")
        if name in MAPS:
            pairs = [p.partition(":") for p in value.replace(" ", "").split(",") if p]
            changes[name] = {k: (int(v) if v.isdigit() else (v or 0)) for k, _, v in pairs}
        else:
            changes[name] = value
    return changes


def shown(name: str, value) -> str:
    if name in MAPS:
        return ",".join(f"{k}:{v}" for k, v in (value or {}).items())
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


@bp.app_template_filter("config_value")
def _config_value(value, name=""):
    return shown(name, value)


@bp.get("/")
@login_required(Role.admin)
def index():
    s = database.session()
    sections = []
    for path, kind, _ in RESOURCES:
        k = versions.kind_of(kind)
        sections.append((path, kind, TITLES[kind], COLUMNS[kind], [k.dump(k.get(s, key)) for key in k.keys(s)]))
    return render_template("admin_config/index.html", sections=sections, staged=staging.pending(s),
                           recent=versions.recent(s, 20))


@bp.get("/<path>/new")
@login_required(Role.admin)
def new(path: str):
    kind = _kind(path)
    return render_template("admin_config/item.html", **_item_context(kind, None, {n: None for n in FIELDS[kind]}))


@bp.post("/<path>/new")
@login_required(Role.admin)
def create(path: str):
    kind = _kind(path)
    k = versions.kind_of(kind)
    changes = form_changes(kind, request.form)
    key = (changes.get(k.key_field) or "").strip()
    s = database.session()
    try:
        if not key:
            raise ConfigInvalid(f"new {k.label}", {k.key_field: "is required"})
        if k.get(s, key) is not None:
            raise ConfigInvalid(f"new {k.label}", {k.key_field: f"{k.label} {key} exists"})
        saved = versions.save(s, kind, key, changes, by=g.user.username, create=True,
                              note=request.form.get("note") or None)
    except ConfigError as exc:
        s.rollback()
        return render_template("admin_config/item.html", **_item_context(kind, None, changes, error=exc)), \
            exc.status
    notes = commit(s)
    if saved.secret:        # shown once, on this page only
        return render_template("admin_config/secret.html", agent=saved.item, secret=saved.secret, notes=notes)
    for note in notes:
        flash(note)
    flash(f"{k.label} {saved.key} created")
    return redirect(url_for("admin_config.item", path=path, key=saved.key))


@bp.get("/<path>/<key>")
@login_required(Role.admin)
def item(path: str, key: str):
    kind = _kind(path)
    data = versions.current(database.session(), kind, key)
    if data is None:
        abort(404)
    return render_template("admin_config/item.html", **_item_context(kind, key, data))


@bp.post("/<path>/<key>")
@login_required(Role.admin)
def save(path: str, key: str):
    kind = _kind(path)
    s = database.session()
    changes = form_changes(kind, request.form)
    try:
        saved = versions.save(s, kind, key, changes, by=g.user.username, note=request.form.get("note") or None)
    except ConfigError as exc:
        s.rollback()
        current = versions.current(s, kind, key)
        if current is None:
            abort(404)
        return render_template("admin_config/item.html",
                               **_item_context(kind, key, {**current, **changes}, error=exc)), exc.status
    for note in commit(s):
        flash(note)
    flash(f"saved as version {saved.version.version}" if saved.version else "nothing changed")
    return redirect(url_for("admin_config.item", path=path, key=key))


@bp.post("/<path>/<key>/restore")
@login_required(Role.admin)
def restore(path: str, key: str):
    kind = _kind(path)
    s = database.session()
    number = request.form.get("version", type=int)
    try:
        saved = versions.restore(s, kind, key, by=g.user.username, version=number)
    except ConfigError as exc:
        s.rollback()
        flash(f"not restored: {exc.problem}")
        return redirect(url_for("admin_config.item", path=path, key=key))
    for note in commit(s):
        flash(note)
    flash(f"restored ({saved.version.note})" if saved.version else "already as it was")
    if saved.item is None:
        return redirect(url_for("admin_config.index"))
    return redirect(url_for("admin_config.item", path=path, key=key))


@bp.post("/<path>/<key>/remove")
@login_required(Role.admin)
def remove(path: str, key: str):
    kind = _kind(path)
    s = database.session()
    try:
        saved = versions.remove(s, kind, key, by=g.user.username)
    except ConfigError as exc:
        s.rollback()
        flash(f"not removed: {exc.problem}")
        return redirect(url_for("admin_config.item", path=path, key=key))
    for note in commit(s):
        flash(note)
    flash(f"{saved.version.action if saved.version else 'unchanged'}: {kind} {key}")
    return redirect(url_for("admin_config.item", path=path, key=key) if saved.item is not None
                    else url_for("admin_config.index"))


@bp.post("/lines/<key>/staged")
@login_required(Role.admin)
def stage(key: str):
    """逐步整合: the line's fields at a date (centre time), e.g. mode merged on 2027-01-01, notice for 90 days."""
    s = database.session()
    settings = current_app.config["HOTLINE_SETTINGS"]
    form = request.form
    changes = {name: form[name] for name in ("mode", "queue_name", "transfer_target") if form.get(name)}
    errors = {}
    try:
        day = dt.date.fromisoformat(form.get("day", ""))
        moment = dt.datetime.combine(day, dt.time.fromisoformat(form.get("time") or "00:00"),
                                     ZoneInfo(settings.timezone))
    except ValueError:
        errors["day"] = "a date YYYY-MM-DD (and a time HH:MM)"
    days = form.get("notice_days", "").strip()
    if days:
        if not days.isdigit() or not 1 <= int(days) <= 3650:
            errors["notice_days"] = "a number of days, 1..3650"
        elif "day" not in errors:
            changes["notice_until"] = (day + dt.timedelta(days=int(days) - 1)).isoformat()
    try:
        if errors:
            raise ConfigInvalid(f"staged change of line {key}", errors)
        row = staging.schedule(s, "line", key, changes, moment, by=g.user.username, note=form.get("note") or None)
    except ConfigError as exc:
        s.rollback()
        flash(f"not staged: {exc.problem}")
        return redirect(url_for("admin_config.item", path="lines", key=key)), 303
    s.commit()
    flash(f"staged change #{row.id} for {moment.isoformat()}")
    return redirect(url_for("admin_config.item", path="lines", key=key))


@bp.post("/staged/<int:change_id>/cancel")
@login_required(Role.admin)
def cancel(change_id: int):
    s = database.session()
    try:
        row = staging.cancel(s, change_id, by=g.user.username)
    except ConfigError as exc:
        flash(exc.problem)
        return redirect(url_for("admin_config.index"))
    s.commit()
    flash(f"staged change #{row.id} cancelled")
    return redirect(url_for("admin_config.item", path=PATH_OF_KIND[row.kind], key=row.key))


@bp.post("/lines/<key>/recording")
@login_required(Role.admin)
def recording(key: str):
    s = database.session()
    current = versions.current(s, "line", key)
    if current is None:
        abort(404)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ConfigInvalid(f"recording for line {key}", {"file": "choose a sound file"})
        name = store_recording(current_app.config["HOTLINE_SETTINGS"], key, current["language"], upload.read(),
                               upload.filename)
        versions.save(s, "line", key, {"greeting_recording": name}, by=g.user.username, note="greeting recording")
    except ConfigError as exc:
        s.rollback()
        flash(f"not saved: {exc.problem}")
        return redirect(url_for("admin_config.item", path="lines", key=key))
    for note in commit(s):
        flash(note)
    flash("recording saved: it plays instead of the greeting text")
    return redirect(url_for("admin_config.item", path="lines", key=key))


def _item_context(kind: str, key: str | None, data: dict, error: ConfigError | None = None) -> dict:
    s = database.session()
    k = versions.kind_of(kind)
    names = [n for n in FIELDS[kind] if n in data] + [n for n in data if n not in FIELDS[kind] and n != "staged"]
    return {"kind": kind, "path": PATH_OF_KIND[kind], "title": TITLES[kind], "key": key, "data": data,
            "names": names, "key_field": k.key_field, "booleans": BOOLEANS, "choices": CHOICES, "read_only": READ_ONLY,
            "textareas": TEXTAREAS, "error": error,
            "field_errors": error.fields if isinstance(error, ConfigInvalid) else {},
            "history": versions.history(s, kind, key) if key else [],
            "staged": staging.pending(s, kind, key) if key else [],
            "changed_fields": versions.changed_fields, "removable": k.removable}
