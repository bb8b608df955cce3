"""`hotline line|queue|agent|menu|switch|holiday …` and `hotline config export|import|diff`: the centre's
configuration (中心配置) from the command line, through the same checks, versions and audit as the web pages.

Fields are given as FIELD=VALUE (``mode=merged notice_until=2027-03-31``); an empty value or ``null``
clears a field; queue memberships as ``queues=12345:0,english:1`` (agents) or ``members=1001:0`` (queues).
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Any

import click

from hotline.errors import HotlineError
from ops.cli import common

MAPS = {"queues", "members"}      # FIELD=k:v,k:v


def _by(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def parse_fields(pairs: tuple[str, ...]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise HotlineError(f"{pair!r} is not FIELD=VALUE", "e.g. mode=merged notice_until=2027-03-31")
        if name in MAPS:
            changes[name] = _map(name, value)
        else:
            changes[name] = None if value.strip().lower() in ("", "null", "none") else value
    return changes


def _map(name: str, value: str) -> dict[str, int | str]:
    out: dict[str, int | str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key, _, penalty = part.partition(":")
        out[key.strip()] = int(penalty) if penalty.strip().isdigit() else (penalty.strip() or 0)
    return out


def _session():
    return common.session_factory(common.settings())()


def _commit(session, echo_notes: bool = True) -> None:
    from centre_config import live, versions

    session.commit()
    changes = versions.pending_changes(session)
    if echo_notes:
        for note in live.after_commit(common.settings(), changes):
            click.echo(f"  {note}")


def _show_version(v) -> None:
    from centre_config.versions import changed_fields

    when = v.changed_at.strftime("%Y-%m-%d %H:%M:%S")
    click.echo(f"v{v.version:<3} {when} UTC  {v.action:<9} by {v.changed_by}" + (f"  ({v.note})" if v.note else ""))
    for name, (before, after) in changed_fields(v).items():
        click.echo(f"       {name}: {_fmt(before)} → {_fmt(after)}")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _parse_moment(text: str) -> dt.datetime:
    """``2027-01-01`` (00:00 centre time) or an ISO date and time (centre time unless it has an offset)."""
    from zoneinfo import ZoneInfo

    settings = common.settings()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise HotlineError(f"{text!r} is not a date or date and time", "e.g. 2027-01-01 or 2027-01-01T08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.timezone))
    return moment


def kind_group(kind: str, group_name: str, help_text: str, *, key_name: str) -> click.Group:
    """list / show / add / set / remove / history / restore for one kind of item."""

    @click.group(group_name, help=help_text)
    def group() -> None:
        pass

    @group.command("list")
    def list_() -> None:
        """Every item, one line each."""
        from centre_config import versions

        k = versions.kind_of(kind)
        with _session() as s:
            for key in k.keys(s):
                click.echo(_summary(kind, k.dump(k.get(s, key))))

    @group.command("show")
    @click.argument("key")
    @click.option("--json", "as_json", is_flag=True, help="the item as JSON")
    def show(key: str, as_json: bool) -> None:
        """Every field, the staged changes and the last versions."""
        from centre_config import staging, versions

        with _session() as s:
            data = versions.current(s, kind, key)
            if data is None:
                raise HotlineError(f"there is no {kind} {key}", f"`hotline {group_name} list`")
            if as_json:
                click.echo(json.dumps(data, ensure_ascii=False, indent=2))
                return
            for name, value in data.items():
                if name == "source":
                    click.echo(value, nl=False)
                else:
                    click.echo(f"{name:<28} {_fmt(value) if value is not None else '-'}")
            for row in staging.pending(s, kind, versions.kind_of(kind).normalize_key(key)):
                click.echo(f"staged #{row.id} for {row.due_at.isoformat()} UTC: {_fmt(row.changes)}"
                           + (f"  NOT APPLIED: {row.error}" if row.error else ""))
            for v in versions.history(s, kind, key, limit=5):
                _show_version(v)

    @group.command("add")
    @click.argument("key")
    @click.argument("fields", nargs=-1)
    @click.option("--by", default=None, help="who (default: cli:<your login>)")
    @click.option("--note", default=None)
    def add(key: str, fields: tuple[str, ...], by: str | None, note: str | None) -> None:
        """Create a new item with FIELD=VALUE pairs."""
        from centre_config import versions

        with _session() as s:
            if versions.kind_of(kind).get(s, key) is not None:
                raise HotlineError(f"{kind} {key} exists", f"`hotline {group_name} set {key} FIELD=VALUE`")
            saved = versions.save(s, kind, key, parse_fields(fields), by=_by(by), create=True, note=note)
            click.echo(f"{kind} {saved.key} created (version {saved.version.version})")
            if saved.secret:
                _echo_secret(saved)
            _commit(s)

    @group.command("set")
    @click.argument("key")
    @click.argument("fields", nargs=-1, required=True)
    @click.option("--at", "at", default=None, help="apply at this moment instead of now (staged change): "
                                                   "2027-01-01 or 2027-01-01T08:00, centre time")
    @click.option("--by", default=None)
    @click.option("--note", default=None)
    def set_(key: str, fields: tuple[str, ...], at: str | None, by: str | None, note: str | None) -> None:
        """Change fields (FIELD=VALUE ...); nothing is saved when one is wrong."""
        _set(kind, key, parse_fields(fields), at, by, note)

    @group.command("remove")
    @click.argument("key")
    @click.option("--by", default=None)
    @click.option("--note", default=None)
    def remove(key: str, by: str | None, note: str | None) -> None:
        """Retire (lines, agents: kept, switched off) or delete (queues, menus, switches, holidays)."""
        from centre_config import versions

        with _session() as s:
            saved = versions.remove(s, kind, key, by=_by(by), note=note)
            click.echo(f"{kind} {saved.key}: " + (f"{saved.version.action}d (version {saved.version.version})"
                                                  if saved.version else "nothing to change"))
            _commit(s)

    @group.command("history")
    @click.argument("key")
    @click.option("--limit", default=20, show_default=True)
    def history(key: str, limit: int) -> None:
        """Who changed what and when, newest first."""
        from centre_config import versions

        with _session() as s:
            rows = versions.history(s, kind, key, limit)
            if not rows:
                click.echo(f"{kind} {key}: no changes saved")
            for v in rows:
                _show_version(v)

    @group.command("restore")
    @click.argument("key")
    @click.option("--version", "version", type=int, default=None, help="go back to what this version saved "
                                                                       "(default: undo the last change)")
    @click.option("--by", default=None)
    def restore(key: str, version: int | None, by: str | None) -> None:
        """Undo the last change (as a new version, itself restorable)."""
        from centre_config import versions

        with _session() as s:
            saved = versions.restore(s, kind, key, by=_by(by), version=version)
            if saved.version is None:
                click.echo(f"{kind} {saved.key}: already as it was")
            else:
                click.echo(f"{kind} {saved.key} restored ({saved.version.note}, now version {saved.version.version})")
                _show_version(saved.version)
            _commit(s)

    group.key_name = key_name
    return group


def _set(kind: str, key: str, changes: dict, at: str | None, by: str | None, note: str | None) -> None:
    from centre_config import staging, versions

    notice_days = changes.pop("notice_days", None)
    with _session() as s:
        if at:
            moment = _parse_moment(at)
            if notice_days is not None:
                changes["notice_until"] = (moment.date() + dt.timedelta(days=int(notice_days) - 1)).isoformat()
            row = staging.schedule(s, kind, key, changes, moment, by=_by(by), note=note)
            s.commit()
            click.echo(f"{kind} {row.key}: staged change #{row.id} for {moment.isoformat()} "
                       f"({row.due_at.isoformat()} UTC): {_fmt(row.changes)}")
            return
        if notice_days is not None:
            changes["notice_until"] = (dt.date.today() + dt.timedelta(days=int(notice_days) - 1)).isoformat()
        saved = versions.save(s, kind, key, changes, by=_by(by), note=note)
        if saved.version is None:
            click.echo(f"{kind} {saved.key}: nothing to change")
        else:
            _show_version(saved.version)
        _commit(s)


def _echo_secret(saved) -> None:
    item = saved.item
    click.echo(f"  SIP username  {item.sip_username}")
    click.echo(f"  SIP password  {saved.secret}")
    click.echo("  (shown once: give it to the agent's softphone now; `hotline agent new-secret` makes another)")


def _summary(kind: str, d: dict) -> str:
    if kind == "line":
        extra = f"notice until {d['notice_until']}" if d["notice_until"] else ""
        state = "" if d["active"] else "  (off)"
        return f"{d['number']:<10} {d['mode']:<12} {d['department'] or '-':<8} {d['name']}  {extra}{state}".rstrip()
    if kind == "queue":
        return (f"{d['name']:<12} {d['strategy']:<10} ring {d['ring_timeout_seconds']}s  wait {d['max_wait_seconds']}s"
                f" → {d['overflow'] or '-'}  members {','.join(d['members']) or '-'}  {d['display_name']}")
    if kind == "agent":
        queues = ",".join(f"{q}:{p}" for q, p in d["queues"].items()) or "-"
        return f"{d['number']:<6} {d['sip_username']:<12} {d['languages']:<6} {queues:<24} {d['name']}" + \
            ("" if d["active"] else "  (retired)")
    if kind == "menu":
        return d["name"]
    if kind == "calendar_day":
        return f"{d['day']}  {'workday' if d['workday'] else 'day off'}  {d['note'] or ''}".rstrip()
    if kind == "switch":
        return f"{d['key']}  {'on' if d['enabled'] else 'off'}"
    return json.dumps(d, ensure_ascii=False)


line = kind_group("line", "line", "Lines (热线号码): numbers, merge modes, notices, greetings, hours, menus.",
                  key_name="NUMBER")
queue = kind_group("queue", "queue", "Queues (队列): strategy, timeouts, overflow, wrap-up, announcements, members.",
                   key_name="NAME")
agent = kind_group("agent", "agent", "Agents (话务员): create, retire, queues and penalties, languages.",
                   key_name="NUMBER")
menu = kind_group("menu", "menu", "IVR menus (语音导航菜单) saved by admins over the shipped ivr/menus/.",
                  key_name="NAME")
switch = kind_group("switch", "switch", "Centre switches: ivr_enabled (off = no menus anywhere, 取消语音导航).",
                    key_name="KEY")
holiday = kind_group("calendar_day", "holiday", "Holiday overrides (节假日调整): a day marked workday or not.",
                     key_name="DAY")


@line.command("greeting")
@click.argument("number")
@click.option("--text", default=None, help="the greeting to speak (TTS)")
@click.option("--recording", "recording", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="a sound file (wav, mp3…): wins over the text")
@click.option("--drop-recording", is_flag=True, help="go back to the spoken text")
@click.option("--by", default=None)
def line_greeting(number: str, text: str | None, recording: Path | None, drop_recording: bool,
                  by: str | None) -> None:
    """A line's greeting: a text spoken by TTS, or an uploaded recording."""
    from centre_config import versions
    from centre_config.greetings import store_recording

    changes: dict[str, Any] = {}
    if text is not None:
        changes["greeting_text"] = text or None
    with _session() as s:
        current = versions.current(s, "line", number)
        if current is None:
            raise HotlineError(f"there is no line {number}", "`hotline line list`")
        if recording is not None:
            changes["greeting_recording"] = store_recording(common.settings(), number, current["language"],
                                                            recording.read_bytes(), recording.name)
        elif drop_recording:
            changes["greeting_recording"] = None
        if not changes:
            raise HotlineError("nothing to change", "give --text, --recording or --drop-recording")
        saved = versions.save(s, "line", number, changes, by=_by(by))
        click.echo(f"line {number}: greeting plays prompt {saved.data['greeting'] or '(default)'}")
        _commit(s)


@agent.command("new-secret")
@click.argument("number")
@click.option("--by", default=None)
def agent_new_secret(number: str, by: str | None) -> None:
    """A new SIP password for an agent's softphone, shown once (audited, the secret itself is not kept there)."""
    from centre_config import agents, versions

    with _session() as s:
        item = versions.kind_of("agent").get(s, number)
        if item is None:
            raise HotlineError(f"there is no agent {number}")
        secret = agents.new_secret(s, item)
        versions._record(s, "agent", number, "new-secret", versions.current(s, "agent", number),
                         versions.current(s, "agent", number), _by(by), "new SIP secret")
        saved = versions.Saved("agent", number, item, None, secret=secret)
        _echo_secret(saved)
        _commit(s)


@menu.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="the menu's name (default: the file name without .yaml)")
def menu_check(file: Path, name: str | None) -> None:
    """Check a menu file with the engine's own loader, against the menus in use; saves nothing."""
    from centre_config import versions

    name = name or file.stem
    with _session() as s:
        versions.kind_of("menu").check(s, {"name": name, "source": file.read_text(encoding="utf-8")}, None)
    click.echo(f"menu {name}: ok")


@menu.command("set")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", default=None)
@click.option("--note", default=None)
def menu_set(name: str, file: Path, by: str | None, note: str | None) -> None:
    """Save FILE as menu NAME (checked first; calls hear it within 2 s)."""
    from centre_config import versions

    with _session() as s:
        saved = versions.save(s, "menu", name, {"source": file.read_text(encoding="utf-8")}, by=_by(by),
                              create=True, note=note)
        click.echo(f"menu {name}: " + (f"saved (version {saved.version.version})" if saved.version
                                      else "unchanged"))
        _commit(s)


@click.group()
def config() -> None:
    """The whole configuration as YAML files (configuration as code), staged changes."""


@config.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def config_export(folder: Path) -> None:
    """Write lines, queues, agents, menus, switches and holidays as the YAML of db/seed_data/."""
    from centre_config import files

    with _session() as s:
        for path in files.export(s, folder):
            click.echo(str(path))


@config.command("diff")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def config_diff(folder: Path) -> None:
    """What `hotline config import FOLDER` would change (nothing is saved)."""
    from centre_config import files

    with _session() as s:
        differences = files.diff(s, folder)
    _echo_differences(differences)


@config.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--by", default=None)
def config_import(folder: Path, by: str | None) -> None:
    """Apply the files in FOLDER: all or nothing, each item versioned (restorable one by one)."""
    from centre_config import files

    with _session() as s:
        differences = files.import_folder(s, folder, by=_by(by))
        _echo_differences(differences)
        _commit(s)


def _echo_differences(differences) -> None:
    if not differences:
        click.echo("no changes")
    for d in differences:
        click.echo(f"{d.action:<7} {d.kind} {d.key}")
        for name, (now, new) in d.fields.items():
            click.echo(f"    {name}: {_fmt(now) if now is not None else '-'} → {_fmt(new) if new is not None else '-'}")


@config.command("staged")
def config_staged() -> None:
    """Changes waiting for their moment (逐步整合)."""
    from centre_config import staging

    with _session() as s:
        rows = staging.pending(s)
        if not rows:
            click.echo("no staged changes")
        for row in rows:
            click.echo(f"#{row.id:<4} {row.due_at.isoformat()} UTC  {row.kind} {row.key}  {_fmt(row.changes)}"
                       f"  by {row.created_by}" + (f"  NOT APPLIED: {row.error}" if row.error else ""))


@config.command("cancel")
@click.argument("change_id", type=int)
@click.option("--by", default=None)
def config_cancel(change_id: int, by: str | None) -> None:
    """Cancel a staged change."""
    from centre_config import staging

    with _session() as s:
        row = staging.cancel(s, change_id, by=_by(by))
        s.commit()
        click.echo(f"staged change #{row.id} cancelled")


@config.command("apply-due")
def config_apply_due() -> None:
    """Apply the staged changes whose moment has come now (the scheduler does this every 30 s)."""
    from centre_config import staging

    with _session() as s:
        done = staging.apply_due(s)
        click.echo(f"{len(done)} staged change(s) applied")
        for row in done:
            click.echo(f"#{row.id} {row.kind} {row.key} {_fmt(row.changes)}")
        _commit(s)


COMMANDS = [line, queue, agent, menu, switch, holiday, config]
