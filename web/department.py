"""The department portal (承办单位): its own tickets only — accept, return, reply, ask for more time.

A clerk sees the tickets their department handles (主办 or 协办) and, read-only,
the tickets that came in through a hotline number the department used to own
(a merged or dual line). Citizens' numbers are masked; unmasking is logged.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from db.models import Role, Ticket, TicketNotification, TicketState
from db.repositories import tickets as ticket_repo
from db.session import utcnow
from tickets.errors import InvalidInput, TicketError
from tickets.notifications import inbox
from tickets.privacy import citizen_for, unmask_phone
from tickets.rights import available_events, parties
from web import contract
from web import ticket_views as tv
from web.auth import login_required, register_home

bp = Blueprint("department", __name__, url_prefix="/department")
bp.record_once(lambda state: tv.init_app(state.app))
register_home(Role.clerk, "department.portal")

S = TicketState
SECTIONS = [  # (title, states) of the portal, for tickets the department handles as 主办
    ("待签收 To accept", (S.dispatched,)),
    ("办理中 In hand", (S.accepted, S.extension_requested)),
    ("等待中心 With the centre (returned / replied)", (S.returned, S.replied)),
    ("已答复 Answered", (S.awaiting_visit, S.visited, S.closed)),
]


def _department_id() -> int:
    if g.user.department_id is None:
        abort(409, description="this login belongs to no department: ask the admin to set it")
    return g.user.department_id


def _visible(ticket: Ticket) -> bool:
    s, department_id = tv.db(), _department_id()
    return s.scalar(select(Ticket.id).where(Ticket.id == ticket.id,
                                            ticket_repo.visible_to_department(department_id))) is not None


@bp.get("/")
@login_required(Role.clerk)
def portal():
    s, department_id = tv.db(), _department_id()
    mine = ticket_repo.department_tickets(s, department_id, limit=500)
    primary = [t for t in mine if t.department_id == department_id]
    sections = [(title, [t for t in primary if t.state in states]) for title, states in SECTIONS]
    co = [t for t in mine if t.department_id != department_id and t.state in (S.dispatched, S.accepted,
                                                                              S.extension_requested)]
    assigned = {t.id for t in mine}
    old_number = [t for t in ticket_repo.department_tickets(s, department_id, old_number_only=True, limit=100)
                  if t.id not in assigned]
    return render_template("department/portal.html", sections=sections, co=co, old_number=old_number,
                           notes=inbox(s, department_id), department=g.user.department)


@bp.get("/tickets/<number>")
@login_required(Role.clerk)
def ticket(number: str):
    return _ticket_page(number)


@bp.post("/tickets/<number>/unmask")
@login_required(Role.clerk)
def unmask(number: str):
    s = tv.db()
    ticket = ticket_repo.by_number(s, number)
    if ticket is None or not _visible(ticket):
        abort(404, description=f"there is no ticket {number} for your department")
    try:
        problems = contract.form_errors("Transition", {"reason": request.form.get("reason")})  # the API's limit
        if problems:
            raise InvalidInput.of(problems)
        phone = unmask_phone(s, ticket, tv.actor(), request.form.get("reason"))
        s.commit()
    except TicketError as refused:
        s.rollback()
        return _ticket_page(number, error=refused), refused.status
    return _ticket_page(number, unmasked=phone)


@bp.post("/tickets/<number>/<event>")
@login_required(Role.clerk)
def act(number: str, event: str):
    try:
        ticket = tv.apply_event(number, event, request.form, scope=_visible)
    except TicketError as refused:
        if refused.status == 404:
            abort(404, description=refused.message)
        return _ticket_page(number, error=refused, kept={event: request.form}), refused.status
    flash(f"{ticket.number}: {tv.label(event)} ✓ → {tv.label(ticket.state)}")
    if _visible(ticket):
        return redirect(url_for("department.ticket", number=ticket.number))
    return redirect(url_for("department.portal"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required(Role.clerk)
def read(notification_id: int):
    s = tv.db()
    note = s.get(TicketNotification, notification_id)
    if note is None or note.department_id != _department_id():
        abort(404)
    note.read_at = note.read_at or utcnow()
    s.commit()
    return redirect(url_for("department.portal"))


def _ticket_page(number: str, error: TicketError | None = None, kept: dict | None = None,
                 unmasked: str | None = None):
    s = tv.db()
    ticket = ticket_repo.by_number(s, number)
    if ticket is None or not _visible(ticket):
        abort(404, description=f"there is no ticket {number} for your department")
    me = tv.actor()
    citizen = citizen_for(ticket, me)
    if unmasked:
        citizen = {**citizen, "phone": unmasked}
    history = ticket_repo.history(s, ticket)
    return render_template("department/ticket.html", t=ticket, citizen=citizen, events=available_events(ticket, me),
                           history=history, error=error, kept=kept or {}, unmasked=unmasked,
                           can_unmask=bool(ticket.caller_phone and parties(ticket, me)) and not ticket.confidential)
