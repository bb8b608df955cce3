"""Writing and reading the security audit trail (安全审计)."""
from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from db.models import SecurityEvent
from db.session import utcnow

# what each kind of event means, for the admin's audit page
KINDS = {
    "login": "登录 login",
    "login_failed": "登录失败 failed login",
    "login_throttled": "登录被限制 refused: too many failures",
    "lockout": "账号/地址锁定 lockout",
    "lockout_lifted": "解除锁定 lockout lifted",
    "logout": "退出 logout",
    "password_changed": "修改密码 password changed",
    "password_rejected": "密码不合规 password refused by the policy",
    "role_changed": "角色变更 role changed",
    "totp_enrolled": "启用动态口令 second factor enrolled",
    "totp_removed": "停用动态口令 second factor removed",
    "totp_failed": "动态口令错误 wrong second-factor code",
    "setting_changed": "配置变更 configuration changed",
    "unmask_phone": "查看号码 phone number unmasked",
    "records_purged": "到期删除 records purged (retention)",
}


def record(session: Session, kind: str, *, username: str | None = None, actor: str | None = None,
           address: str | None = None, detail: str | None = None, at: dt.datetime | None = None) -> SecurityEvent:
    """Add one audit row to ``session`` (the caller commits, with the act it audits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    event = SecurityEvent(kind=kind, username=(username or None) and username[:64], actor=actor,
                          address=(address or None) and address[:64], detail=detail, at=at or utcnow())
    session.add(event)
    return event


def recent(session: Session, *, kinds: list[str] | None = None, username: str | None = None,
           since: dt.datetime | None = None, limit: int = 200) -> list[SecurityEvent]:
    query = select(SecurityEvent)
    if kinds:
        query = query.where(SecurityEvent.kind.in_(kinds))
    if username:
        query = query.where(SecurityEvent.username == username)
    if since is not None:
        query = query.where(SecurityEvent.at >= since)
    return list(session.scalars(query.order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc()).limit(limit)))


# --- configuration changes, whichever code path makes them ------------------------------------
# who is acting in this request or command (set by the web panel per request, by the CLI per command)
current_actor: ContextVar[tuple[str | None, str | None]] = ContextVar("security_actor", default=(None, None))


def audit_configuration_changes() -> None:
    """Write a ``setting_changed`` row for every flushed change of a centre setting, a calendar
    override or a channel's API key (idempotent; the audit row is in the same transaction)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


def _before_flush(session: Session, _context, _instances) -> None:
    from db.models import ApiClient, CalendarDay, CentreSetting

    changes = []
    for obj, verb in [*((o, "set") for o in session.new), *((o, "changed") for o in session.dirty),
                      *((o, "removed") for o in session.deleted)]:
        if isinstance(obj, CentreSetting) and (verb != "changed" or session.is_modified(obj)):
            changes.append((obj.updated_by, f"setting {obj.key} {verb}: {obj.value!r}"[:1000]))
        elif isinstance(obj, CalendarDay) and (verb != "changed" or session.is_modified(obj)):
            what = "removed" if verb == "removed" else ("workday" if obj.workday else "day off")
            changes.append((obj.updated_by, f"calendar {obj.day}: {what} {obj.note or ''}".strip()))
        elif isinstance(obj, ApiClient) and (verb != "changed" or inspect(obj).attrs.active.history.has_changes()):
            state = "removed" if verb == "removed" else ("active" if obj.active else "deactivated")
            changes.append((None, f"API client {obj.name} ({obj.channel}): {verb}, {state}"))
    if not changes:
        return
    actor, address = current_actor.get()
    for by, detail in changes:
        session.add(SecurityEvent(kind="setting_changed", username=by or actor, actor=actor or by,
                                  address=address, detail=detail, at=utcnow()))
