"""The admin's security page (安全审计): audit trail, delayed/locked logins and their lifting, roles.

Shows logins and failures, lockouts, password and role changes, configuration
changes (security_events) and the unmasking of citizens' numbers (查看号码,
kept in each ticket's own trail).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from accounts import second_factor, throttle
from accounts.sessions import change_role
from db.models import Role, Ticket, TicketEvent, User
from db.repositories import security_audit
from db.session import utcnow
from web import ticket_views as tv
from web.auth import client_address, login_required
from web.database import session as db_session

bp = Blueprint("security_admin", __name__, url_prefix="/admin/security")
bp.record_once(lambda state: tv.init_app(state.app))


@dataclass
class AuditRow:
    at: dt.datetime
    kind: str
    username: str | None
    actor: str | None
    address: str | None
    detail: str | None


@bp.get("/")
@login_required(Role.admin)
def audit():
    s = db_session()
    kind = request.args.get("kind", "")
    kind = kind if kind in security_audit.KINDS else ""
    user_filter = "".join(ch for ch in request.args.get("user", "") if ch.isprintable())[:64]
    rows = [AuditRow(e.at, e.kind, e.username, e.actor, e.address, e.detail)
            for e in security_audit.recent(s, kinds=[kind] if kind else None, username=user_filter or None)]
    if kind in ("", "unmask_phone"):
        query = (select(TicketEvent, Ticket.number).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                 .where(TicketEvent.event == "unmask_phone"))
        if user_filter:
            query = query.where(TicketEvent.actor == user_filter)
        for event, number in s.execute(query.order_by(TicketEvent.at.desc()).limit(200)):
            rows.append(AuditRow(event.at, "unmask_phone", event.actor, event.actor, None,
                                 f"ticket {number}: {event.reason or ''}"))
    rows.sort(key=lambda r: r.at, reverse=True)
    return render_template("security_admin/audit.html", events=rows[:300], kinds=security_audit.KINDS, kind=kind,
                           user_filter=user_filter, throttles=throttle.current(s), now=utcnow(),
                           users=s.scalars(select(User).order_by(User.role, User.username)), roles=list(Role))


@bp.post("/lockouts/lift")
@login_required(Role.admin)
def lift():
    s = db_session()
    key = request.form.get("key", "")
    if not throttle.lift(s, key, actor=g.user.username, address=client_address()):
        abort(404, description=f"no delay or lockout for {key!r}")
    s.commit()
    flash(f"{key}: 已解除 lifted")
    return redirect(url_for("security_admin.audit"))


@bp.post("/users/<int:user_id>/role")
@login_required(Role.admin)
def set_role(user_id: int):
    s = db_session()
    user = s.get(User, user_id) or abort(404)
    try:
        role = Role(request.form.get("role", ""))
    except ValueError:
        abort(400, description=f"unknown role {request.form.get('role')!r}: one of {', '.join(Role)}")
    if user.id == g.user.id and role is not Role.admin:
        abort(400, description="you cannot take the admin role from yourself; ask another admin")
    if change_role(s, user, role, actor=g.user.username, address=client_address()):
        s.commit()
        flash(f"{user.username}: {role.value} (their sessions were logged out)")
    return redirect(url_for("security_admin.audit"))


@bp.post("/users/<int:user_id>/totp/remove")
@login_required(Role.admin)
def remove_totp(user_id: int):
    s = db_session()
    user = s.get(User, user_id) or abort(404)
    second_factor.remove(s, user, actor=g.user.username, address=client_address())
    s.commit()
    flash(f"{user.username}: second factor removed; they enrol again at their next login")
    return redirect(url_for("security_admin.audit"))
