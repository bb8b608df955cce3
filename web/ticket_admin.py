"""Ticket settings for the admin (系统管理员): holiday overrides, time limits, channel API keys.

Holiday overrides are centre configuration: they go through ``centre_config.versions`` like the
configuration page and API, so each change has a version, an audit row and can be restored.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from centre_config import live, versions
from centre_config.errors import ConfigError, ConfigNotFound
from db.models import ApiClient, CalendarDay, Role, TicketChannel
from tickets import api_clients
from tickets.deadlines import DEFAULT_SPANS, save_span
from tickets.errors import TicketError
from web import ticket_views as tv
from web.auth import login_required

bp = Blueprint("ticket_admin", __name__, url_prefix="/admin/tickets")
bp.record_once(lambda state: tv.init_app(state.app))


@bp.get("/")
@login_required(Role.admin)
def index():
    return _page()


@bp.post("/calendar")
@login_required(Role.admin)
def set_day():
    """A holiday override, through the centre's configuration (checked, versioned, audited, applied live)."""
    s, form = tv.db(), request.form
    try:
        day = dt.date.fromisoformat(form.get("day", ""))
    except ValueError:
        return _page(error=f"{form.get('day')!r} is not a date: write YYYY-MM-DD"), 400
    if form.get("workday") not in ("0", "1"):
        return _page(error="say whether the day is worked (1) or off (0)"), 400
    changes = {"workday": form["workday"] == "1", "note": (form.get("note") or "").strip() or None}
    try:
        saved = versions.save(s, "calendar_day", day.isoformat(), changes, by=g.user.username, create=True,
                              note="ticket settings page")
    except ConfigError as refused:
        s.rollback()
        return _page(error=refused.problem), refused.status
    _commit(s)
    flash(f"{day}: {'上班 workday' if saved.data['workday'] else '休息 day off'}")
    return redirect(url_for("ticket_admin.index"))


@bp.post("/calendar/<day>/delete")
@login_required(Role.admin)
def delete_day(day: str):
    s = tv.db()
    try:
        versions.remove(s, "calendar_day", dt.date.fromisoformat(day).isoformat(), by=g.user.username,
                        note="ticket settings page")
    except (ValueError, ConfigNotFound):
        abort(404)
    _commit(s)
    flash(f"{day}: override removed")
    return redirect(url_for("ticket_admin.index"))


def _commit(s) -> None:
    s.commit()
    live.after_commit(current_app.config["HOTLINE_SETTINGS"], versions.pending_changes(s))


@bp.post("/limits")
@login_required(Role.admin)
def set_limits():
    s = tv.db()
    try:
        for name in DEFAULT_SPANS:
            if request.form.get(name):
                save_span(s, name, request.form[name], by=g.user.username)
        s.commit()
    except TicketError as refused:
        s.rollback()
        return _page(error=refused.message), 400
    flash("时限已保存 Time limits saved")
    return redirect(url_for("ticket_admin.index"))


@bp.post("/clients")
@login_required(Role.admin)
def add_client():
    s = tv.db()
    try:
        key = api_clients.create(s, request.form.get("name", ""), request.form.get("channel", ""))
        s.commit()
    except TicketError as refused:
        s.rollback()
        return _page(error=refused.message), 400
    return _page(new_key=key, new_client=request.form.get("name"))


@bp.post("/clients/<int:client_id>/deactivate")
@login_required(Role.admin)
def deactivate_client(client_id: int):
    s = tv.db()
    client = s.get(ApiClient, client_id)
    if client is None:
        abort(404)
    client.active = False
    s.commit()
    flash(f"{client.name}: deactivated")
    return redirect(url_for("ticket_admin.index"))


def _page(error: str | None = None, new_key: str | None = None, new_client: str | None = None):
    s = tv.db()
    policy = tv.policy()
    this_year = dt.date.today().year
    years = [(y, policy.calendar.knows_year(y)) for y in range(this_year, this_year + 2)]
    return render_template("ticket_admin/index.html", days=s.scalars(select(CalendarDay).order_by(CalendarDay.day)),
                           spans={name: policy.spans[name] for name in DEFAULT_SPANS}, defaults=DEFAULT_SPANS,
                           clients=s.scalars(select(ApiClient).order_by(ApiClient.name)), years=years,
                           channels=[c for c in TicketChannel if c is not TicketChannel.phone], error=error,
                           new_key=new_key, new_client=new_client)
