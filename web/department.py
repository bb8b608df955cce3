"""The department portal (承办单位): its own tickets only — accept, return, reply, ask for more time.

A clerk sees the tickets their department handles (主办 or 协办) and, read-only,
the tickets that came in through a hotline number the department used to own
(a merged or dual line). Citizens' numbers are masked; unmasking is logged.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from db.models import Role, Ticket, TicketNotification, TicketState
from db.repositories import tickets as ticket_repo
from db.session import utcnow
from kpis.errors import InvalidInput as BadListInput
from tickets.errors import InvalidInput, TicketError
from tickets.notifications import inbox
from tickets.privacy import citizen_for, unmask_phone
from tickets.rights import available_events, parties
from web import contract, listing
from web import ticket_lists as tl
from web import ticket_views as tv
from web.auth import login_required, register_home

bp = Blueprint("department", __name__, url_prefix="/department")
bp.record_once(lambda state: tv.init_app(state.app))
bp.register_error_handler(BadListInput, listing.bad_input)
register_home(Role.clerk, "department.portal")

S = TicketState
SECTIONS = [  # (key, title, states) of the portal, for tickets the department handles as 主办
    ("accept", "待签收 To accept", (S.dispatched,)),
    ("in_hand", "办理中 In hand", (S.accepted, S.extension_requested)),
    ("centre", "等待中心 With the centre (returned / replied)", (S.returned, S.replied)),
    ("answered", "已答复 Answered", (S.awaiting_visit, S.visited, S.closed)),
]
CO_STATES = (S.dispatched, S.accepted, S.extension_requested)
SECTION_ROWS = 20  # rows of each section on the portal; "all" pages the section


def _section_where(key: str, department_id: int):
    """The SQL condition of one portal section (404 for an unknown section)."""
    for k, _, states in SECTIONS:
        if k == key:
            return and_(Ticket.department_id == department_id, Ticket.state.in_(states))
    if key == "co":
        return and_(ticket_repo.assigned_to(department_id), Ticket.department_id.is_distinct_from(department_id),
                    Ticket.state.in_(CO_STATES))
    if key == "old_number":
        lines = tv.db().scalars(ticket_repo.owned_lines(department_id)).all()
        return and_(ticket_repo.through_old_number(department_id, lines), ~ticket_repo.assigned_to(department_id))
    abort(404, description=f"the portal has no section {key!r}")


def _titles() -> dict[str, str]:
    return {**{k: title for k, title, _ in SECTIONS}, "co": "协办 Co-handling",
            "old_number": "原号码来件 Through our old number (read only)"}


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
    """Each section's earliest deadlines first, with its size; "all" pages, sorts and exports the section."""
    s, department_id = tv.db(), _department_id()
    sections = []
    states = {**{k: st for k, _, st in SECTIONS}, "co": CO_STATES}
    for key, title in _titles().items():
        where = _section_where(key, department_id)
        query = _with_rows(select(Ticket).where(where))
        if key in states:  # per state, each an index walk on (department, state, deadline, id)
            rows = listing.earliest_due(s, query, Ticket.state, states[key], Ticket.handle_due_at, Ticket.id,
                                        SECTION_ROWS, id_desc=True)
        else:
            rows = list(s.scalars(query.order_by(Ticket.handle_due_at.is_(None), Ticket.handle_due_at,
                                                 Ticket.id.desc()).limit(SECTION_ROWS)))
        total, more = listing.bounded_count(s, select(Ticket.id).where(where), Ticket.id)
        sections.append((key, title, rows, total, listing.count_text(total, more)))
    return render_template("department/portal.html", sections=sections, notes=inbox(s, department_id),
                           department=g.user.department)


@bp.get("/list/<section>")
@login_required(Role.clerk)
def section(section: str):
    """One section of the portal, filtered (state, dates in centre time, number), sorted and paged in SQL."""
    s, department_id, args = tv.db(), _department_id(), request.args
    query = select(Ticket).where(_section_where(section, department_id))
    states = [v for v in args.getlist("state") if v]
    unknown = [v for v in states if v not in TicketState.__members__]
    if unknown:
        raise BadListInput.of({"state": f"{unknown[0]!r} is not a state"})
    if states:
        query = query.where(Ticket.state.in_([TicketState(v) for v in states]))
    if args.get("number"):
        query = query.where(Ticket.number == args["number"].strip().upper())
    if args.get("overdue") == "1":
        query = query.where(Ticket.overdue.is_(True))
    settings = current_app.config["HOTLINE_SETTINGS"]
    since, until, _ = listing.period_bounds(settings.timezone, settings.local_now().date())
    if since is not None:
        query = query.where(Ticket.created_at >= since, Ticket.created_at < until)
    query = _with_rows(query)
    paging = dict(id_column=Ticket.id, default_sort="due")
    if listing.wants_csv():
        return listing.csv_response(s, query, tl.COLUMNS, name=f"department_{section}", **paging)
    page = listing.page_of(s, query, tl.COLUMNS, **paging)
    return render_template("department/section.html", page=page, section=section, title=_titles()[section],
                           states=list(TicketState), args=args, department=g.user.department)


def _with_rows(query):
    return query.options(selectinload(Ticket.department), selectinload(Ticket.district))


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
