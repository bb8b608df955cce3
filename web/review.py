"""The centre's side of the loop (中心审核): queues of returns, extensions, replies and return visits.

The return-visit list for a human (人工回访) shows the tickets whose phone return visit
cannot end on its own: never answered in 3 attempts, answered without a key, or never to
be called (保密, 不接受回访); the reviewer visits them by hand on the ticket page.

Reviewers (审核员) decide; supervisors (值班长) and admins look and 督办;
agents open a ticket here when a citizen calls about it again (回访, 重启).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from db.models import Call, ReturnVisit, Role, Ticket, TicketState
from db.repositories import tickets as ticket_repo
from kpis.errors import InvalidInput
from tickets.errors import TicketError
from tickets.labels import ATTEMPT_OUTCOME, VISIT_STATUS
from tickets.privacy import citizen_for
from tickets.return_visits import for_a_human_query
from tickets.rights import available_events
from tickets.states import OPEN_STATES
from web import listing
from web import ticket_lists as tl
from web import ticket_views as tv
from web.auth import login_required, register_home

bp = Blueprint("review", __name__, url_prefix="/centre")
bp.record_once(lambda state: tv.init_app(state.app))
bp.register_error_handler(InvalidInput, listing.bad_input)
register_home(Role.reviewer, "review.queue")

CENTRE = (Role.reviewer, Role.supervisor, Role.admin, Role.agent)
QUEUES = [  # (title, states) of the review queue page, in the order a reviewer works them
    ("待派单 To dispatch (web, SMS, WeChat, saved drafts)", (TicketState.intake,)),
    ("退单待审 Returns", (TicketState.returned,)),
    ("延期待审 Extension requests", (TicketState.extension_requested,)),
    ("答复待审 Replies to review", (TicketState.replied,)),
    ("待回访 Return visits", (TicketState.awaiting_visit,)),
    ("已回访待办结 Visited, to close", (TicketState.visited,)),
]


QUEUE_ROWS = 20  # rows of each queue on the queue page; the rest page in the search


@bp.get("/")
@login_required(Role.reviewer, Role.supervisor, Role.admin)
def queue():
    """Each queue's most urgent tickets (earliest deadline first) and its size; "all" pages them in the search."""
    s = tv.db()
    queues = []
    for title, states in QUEUES:
        rows = listing.earliest_due(s, _with_rows(select(Ticket)), Ticket.state, states, Ticket.handle_due_at,
                                    Ticket.id, QUEUE_ROWS)  # per state: an index walk on (state, deadline, id)
        total, more = listing.bounded_count(s, select(Ticket.id).where(Ticket.state.in_(states)), Ticket.id)
        queues.append((title, rows, total, [st.value for st in states], listing.count_text(total, more)))
    late_where = (Ticket.state.in_(OPEN_STATES), or_(Ticket.overdue, Ticket.accept_overdue, Ticket.supervised))
    late = listing.earliest_due(s, _with_rows(select(Ticket).where(late_where[1])), Ticket.state, OPEN_STATES,
                                Ticket.handle_due_at, Ticket.id, QUEUE_ROWS)  # no deadline last, on both engines
    late_total = listing.count_text(*listing.bounded_count(s, select(Ticket.id).where(*late_where), Ticket.id))
    visits_query = for_a_human_query()
    visits = list(s.scalars(visits_query.options(selectinload(ReturnVisit.ticket), selectinload(ReturnVisit.attempts))
                            .limit(QUEUE_ROWS)))
    visits_total = listing.count_text(*listing.bounded_count(s, visits_query, ReturnVisit.id))
    return render_template("review/queue.html", queues=queues, late=late, late_total=late_total,
                           counts=_state_counts(s), visits=visits, visits_total=visits_total,
                           VISIT_STATUS=VISIT_STATUS, ATTEMPT_OUTCOME=ATTEMPT_OUTCOME)


@bp.get("/tickets")
@login_required(*CENTRE)
def search():
    """Every ticket, filtered, sorted and paged in SQL; ``format=csv`` gives the whole filtered list."""
    s, args = tv.db(), request.args
    errors = {}
    states = []
    for value in args.getlist("state"):
        if value and value not in TicketState.__members__:
            errors["state"] = f"{value!r} is not a state: one of {', '.join(TicketState.__members__)}"
        elif value:
            states.append(TicketState(value))
    department_id = tv.department_id(s, args.get("department"))
    if args.get("department") and department_id is None:
        errors["department"] = f"no department with code {args['department']!r}"
    flag = {"1": True, "0": False}
    for name in ("overdue", "supervised"):
        if args.get(name, "") not in ("", *flag):
            errors[name] = "1 or 0"
    if errors:
        raise InvalidInput.of(errors)
    settings = current_app.config["HOTLINE_SETTINGS"]
    since, until, _ = listing.period_bounds(settings.timezone, settings.local_now().date())
    query = _with_rows(ticket_repo.search_query(
        states=states or None, number=args.get("number") or None, phone=args.get("phone") or None,
        department_id=department_id, overdue=flag.get(args.get("overdue", "")),
        supervised=flag.get(args.get("supervised", "")), since=since, until=until))
    paging = dict(id_column=Ticket.id, default_sort=tl.DEFAULT_SORT, default_desc=True)
    if listing.wants_csv():
        return listing.csv_response(s, query, tl.COLUMNS, name="tickets", **paging)
    page = listing.page_of(s, query, tl.COLUMNS, **paging)
    return render_template("review/search.html", page=page, targets=tv.dispatch_targets(s),
                           states=list(TicketState), args=args)


def _state_counts(s) -> dict[str, str]:
    """Tickets per state, each counted up to COUNT_MAX on the (state, …) index ("10,000+"): one GROUP BY
    over every ticket reads the whole table, most of it closed."""
    counts = {}
    for state in TicketState:
        total, more = listing.bounded_count(s, select(Ticket.id).where(Ticket.state == state), Ticket.id)
        if total:
            counts[state.value] = listing.count_text(total, more)
    return counts


def _with_rows(query):
    """Load what a list row shows in one go (not one query per row)."""
    return query.options(selectinload(Ticket.department), selectinload(Ticket.district))


@bp.get("/tickets/<number>")
@login_required(*CENTRE)
def ticket(number: str):
    return _ticket_page(number)


@bp.post("/tickets/<number>/<event>")
@login_required(*CENTRE)
def act(number: str, event: str):
    try:
        ticket = tv.apply_event(number, event, request.form)
    except TicketError as refused:
        if refused.status == 404:
            abort(404, description=refused.message)
        return _ticket_page(number, error=refused, kept={event: request.form}), refused.status
    flash(f"{ticket.number}: {tv.label(event)} ✓ → {tv.label(ticket.state)}")
    return redirect(url_for("review.ticket", number=ticket.number))


@bp.get("/recordings/<int:call_id>")
@login_required(*CENTRE)
def recording(call_id: int):
    """A linked call's recording (录音), only from the installation's recordings folder."""
    call = tv.db().get(Call, call_id)
    if call is None or not call.recording_file:
        abort(404, description="this call has no recording")
    return _recording_file(call.recording_file)


@bp.get("/voicemails/<int:call_id>")
@login_required(*CENTRE)
def voicemail(call_id: int):
    """The message a citizen left (留言) on a call, only from the installation's recordings folder."""
    call = tv.db().get(Call, call_id)
    if call is None or not call.voicemail_file or call.voicemail_status not in ("kept", "error"):
        abort(404, description="this call has no voicemail")
    return _recording_file(call.voicemail_file)


def _recording_file(name: str):
    folder = current_app.config["HOTLINE_SETTINGS"].recordings_dir.resolve()
    path = Path(name).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        abort(404, description="the recording file is not in the recordings folder (yet)")
    return send_file(path, mimetype="audio/wav")


def _ticket_page(number: str, error: TicketError | None = None, kept: dict | None = None):
    s = tv.db()
    ticket = ticket_repo.by_number(s, number)
    if ticket is None:
        abort(404, description=f"there is no ticket {number}")
    me = tv.actor()
    visits = s.scalars(select(ReturnVisit).where(ReturnVisit.ticket_id == ticket.id).order_by(ReturnVisit.round)
                       .options(selectinload(ReturnVisit.attempts))).all()
    return render_template("review/ticket.html", t=ticket, citizen=citizen_for(ticket, me), visits=visits,
                           VISIT_STATUS=VISIT_STATUS, ATTEMPT_OUTCOME=ATTEMPT_OUTCOME,
                           events=available_events(ticket, me), history=ticket_repo.history(s, ticket),
                           targets=tv.dispatch_targets(s), error=error, kept=kept or {})
