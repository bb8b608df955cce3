"""What each event does to a ticket: validate its input, change fields, notify.

Each action collects field errors first and calls ``ctx.check()`` before it
changes anything, so a refused event leaves the ticket as it was.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from db.models import AssignmentRole, Satisfaction, Ticket, TicketExtension, TicketState
from tickets import return_visits
from tickets.context import Context, record_act
from tickets.deadlines import MAX_EXTENSION_DAYS
from tickets.dispatching import active_co, assign, co_departments, find_department, local, whole_number
from tickets.labels import SATISFACTION
from tickets.states import Event

UNHAPPY = (Satisfaction.dissatisfied, Satisfaction.very_dissatisfied)


# --- intake ----------------------------------------------------------------------
def dispatch(ctx: Context) -> None:
    primary = ctx.params.get("department")
    if not primary:
        ctx.errors["department"] = "required: the department that handles the ticket (主办)"
    else:
        primary = find_department(ctx, primary, "department")
    co = co_departments(ctx, primary)
    ctx.check()
    assign(ctx, primary, co)


def resolve_on_call(ctx: Context) -> None:
    answer = ctx.text("reply", required=True, min_length=2)
    ctx.check()
    ctx.ticket.reply, ctx.ticket.resolved_on_call, ctx.ticket.closed_at = answer, True, ctx.now


def merge(ctx: Context) -> None:
    number = ctx.text("into", required=True)
    master = None
    if number:
        master = ctx.session.scalar(select(Ticket).where(Ticket.number == number.upper()))
        if master is None:
            ctx.errors["into"] = f"there is no ticket {number}"
        elif master.id == ctx.ticket.id:
            ctx.errors["into"] = "a ticket cannot be merged into itself"
        elif master.state in (TicketState.merged, TicketState.archived, TicketState.closed):
            ctx.errors["into"] = f"{master.number} is {master.state}: merge into an open ticket"
    ctx.check()
    ticket = ctx.ticket
    ticket.merged_into = master
    for assignment in ticket.assignments:
        if assignment.active:
            assignment.active, assignment.ended_at = False, ctx.now
    for call in ticket.calls:
        if call not in master.calls:
            master.calls.append(call)
    ctx.detail = f"→ {master.number}"
    record_act(ctx.session, master, ctx.actor, "merged_in", ctx.reason, f"← {ticket.number}")


# --- the department --------------------------------------------------------------
def accept(ctx: Context) -> None:
    ticket = ctx.ticket
    ticket.accepted_at = ctx.now
    if ticket.accept_due_at and ctx.now > ticket.accept_due_at:
        ticket.accept_overdue = True
    primary = next((a for a in ticket.assignments if a.active and a.role is AssignmentRole.primary), None)
    if primary is not None:
        primary.accepted_at = ctx.now


def return_to_center(ctx: Context) -> None:
    ctx.require_reason("required: why the ticket is not this department's (退单理由)")
    ticket = ctx.ticket
    if ticket.return_due_at is None:
        ctx.errors["event"] = "the centre already refused a return of this ticket: handle it, or call the centre"
    elif ctx.now > ticket.return_due_at:
        ctx.errors["event"] = (f"退单 is possible within {ctx.policy.spans['return'].describe()} of dispatch, "
                               f"until {local(ctx, ticket.return_due_at)}; it is too late now")
    ctx.check()
    ctx.notify("return_to_center", f"退单待审: {ctx.reason}", role="reviewer")


def reply(ctx: Context) -> None:
    answer = ctx.text("reply", required=True, min_length=5)
    ctx.check()
    ticket = ctx.ticket
    ticket.reply, ticket.replied_at = answer, ctx.now
    if ticket.handle_due_at and ctx.now > ticket.handle_due_at:
        ticket.overdue = True
    pending = ticket.pending_extension
    if pending is not None:  # replying withdraws a pending extension request
        pending.approved, pending.decided_at, pending.decided_by = False, ctx.now, ctx.actor.username
        pending.decision_note = "withdrawn: the department replied"
    ctx.detail = answer
    ctx.notify("reply", "答复待审", role="reviewer")


def request_extension(ctx: Context) -> None:
    ticket = ctx.ticket
    ctx.require_reason("required: why more time is needed (延期理由)")
    days = whole_number(ctx, "days", 1, MAX_EXTENSION_DAYS)
    if days and ticket.extension_days + days > MAX_EXTENSION_DAYS:
        ctx.errors["days"] = (f"at most {MAX_EXTENSION_DAYS} working days of extension in total; "
                              f"{ticket.extension_days} already granted")
    if ticket.handle_due_at and ctx.now > ticket.handle_due_at:
        ctx.errors["event"] = (f"the handling deadline {local(ctx, ticket.handle_due_at)} has passed: "
                               "an extension must be asked for before it")
    ctx.check()
    ticket.extensions.append(TicketExtension(department_id=ctx.actor.department_id, days=days, reason=ctx.reason,
                                             requested_by=ctx.actor.username, requested_at=ctx.now))
    ctx.detail = f"+{days} working days asked"
    ctx.notify("request_extension", f"延期申请 {days} 个工作日: {ctx.reason}", role="reviewer")


def co_accept(ctx: Context) -> None:
    assignment = active_co(ctx)
    if assignment.accepted_at is not None:
        ctx.errors["event"] = "your department already accepted its part (协办签收)"
    ctx.check()
    assignment.accepted_at = ctx.now


def co_opinion(ctx: Context) -> None:
    opinion = ctx.text("opinion", required=True, min_length=2)
    ctx.check()
    assignment = active_co(ctx)
    assignment.opinion, assignment.opinion_at = opinion, ctx.now
    assignment.accepted_at = assignment.accepted_at or ctx.now
    ctx.detail = opinion
    ctx.notify("co_opinion", f"协办意见: {opinion[:80]}", department_id=ctx.ticket.department_id)


# --- the centre --------------------------------------------------------------------
def redispatch(ctx: Context) -> None:
    dispatch(ctx)


def reject_return(ctx: Context) -> None:
    ctx.require_reason("required: why the department must handle it (驳回理由)")
    ctx.check()
    ticket = ctx.ticket
    due = ctx.policy.accept_due(ticket.urgency, ctx.now)
    ticket.accept_due_at, ticket.accepted_at, ticket.return_due_at = due.at, None, None
    ticket.accept_reminded_at, ticket.accept_overdue = None, False
    ctx.notify("reject_return", f"退单被驳回, 请于 {local(ctx, due.at)} 前签收: {ctx.reason}",
               department_id=ticket.department_id)


def approve_extension(ctx: Context) -> None:
    ticket, pending = ctx.ticket, ctx.ticket.pending_extension
    days = pending.days
    if ctx.params.get("days") not in (None, ""):
        days = whole_number(ctx, "days", 1, pending.days)
    if days and ticket.extension_days + days > MAX_EXTENSION_DAYS:
        ctx.errors["days"] = f"at most {MAX_EXTENSION_DAYS} working days in total; {ticket.extension_days} granted"
    ctx.check()
    due = ctx.policy.extend(ticket.handle_due_at or ctx.now, days)
    ticket.handle_due_at, ticket.extension_days = due.at, ticket.extension_days + days
    ticket.deadline_estimated = ticket.deadline_estimated or due.estimated
    ticket.overdue = ctx.now > due.at
    decide(ctx, pending, True, days)
    ctx.detail = f"+{days} working days → {local(ctx, due.at)}"
    ctx.notify("approve_extension", f"延期批准 {days} 个工作日, 新时限 {local(ctx, due.at)}",
               department_id=ticket.department_id)


def reject_extension(ctx: Context) -> None:
    ctx.require_reason()
    ctx.check()
    decide(ctx, ctx.ticket.pending_extension, False, 0)
    ctx.notify("reject_extension", f"延期驳回: {ctx.reason}", department_id=ctx.ticket.department_id)


def decide(ctx: Context, extension: TicketExtension, approved: bool, days: int) -> None:
    extension.approved, extension.granted_days = approved, days
    extension.decided_by, extension.decided_at, extension.decision_note = ctx.actor.username, ctx.now, ctx.reason


def approve_reply(ctx: Context) -> None:
    ctx.ticket.visit_due_at = ctx.policy.visit_due(ctx.now).at
    visit = return_visits.request_for(ctx.session, ctx.ticket, ctx.now)   # 回访电话, or a human's list
    if visit.note:
        ctx.detail = f"回访: {visit.note}"


def send_back(ctx: Context) -> None:
    ctx.require_reason("required: what is missing in the reply (退回理由)")
    ctx.check()
    ctx.ticket.replied_at = None
    ctx.notify("send_back", f"答复被退回, 请重新办理: {ctx.reason}", department_id=ctx.ticket.department_id)


def return_visit(ctx: Context) -> None:
    value = ctx.params.get("satisfaction")
    try:
        satisfaction = Satisfaction(value)
    except ValueError:
        ctx.errors["satisfaction"] = f"one of {', '.join(Satisfaction)}" if value else "required"
    resolved = ctx.params.get("resolved")
    if isinstance(resolved, str):
        resolved = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False,
                    "": None}.get(resolved.strip().lower(), "?")
    if resolved not in (True, False, None):
        ctx.errors["resolved"] = "true or false (是否解决), or leave it out"
    ctx.check()
    ctx.ticket.satisfaction, ctx.ticket.visited_at = satisfaction, ctx.now
    ctx.ticket.visit_resolved = resolved
    ctx.detail = f"{satisfaction.value} {SATISFACTION[satisfaction]}" + \
        ("" if resolved is None else (" 已解决" if resolved else " 未解决"))


def close(ctx: Context) -> None:
    ticket = ctx.ticket
    if ticket.state is TicketState.awaiting_visit:
        ctx.require_reason("required when closing without a return visit (e.g. citizen unreachable)")
    elif ticket.satisfaction in UNHAPPY:
        ctx.require_reason("required: the citizen is not satisfied; say why the ticket is closed anyway")
    ctx.check()
    ticket.closed_at = ctx.now


def reopen(ctx: Context) -> None:
    ctx.require_reason("required: what the citizen is still unhappy about")
    value = ctx.params.get("department") or ctx.ticket.department
    department = find_department(ctx, value, "department") if value else None
    if department is None and "department" not in ctx.errors:
        ctx.errors["department"] = "required: this ticket had no department; name the one to dispatch it to"
    ctx.check()
    ticket = ctx.ticket
    ticket.reopen_count += 1
    ticket.closed_at = ticket.replied_at = ticket.visited_at = ticket.satisfaction = ticket.reply = None
    ticket.visit_due_at = ticket.visit_resolved = None
    assign(ctx, department, [])
    if ctx.actor.role == "system":   # the phone return visit reopened it: the centre must know
        ctx.notify("reopen", f"电话回访后重启: {ctx.reason}", role="reviewer")


def archive(ctx: Context) -> None:
    ctx.ticket.archived_at = ctx.now


def supervise(ctx: Context) -> None:
    ctx.require_reason("required: the instruction of the supervision (督办意见)")
    ctx.check()
    ticket = ctx.ticket
    ticket.supervised = True
    ticket.supervised_at = ticket.supervised_at or ctx.now
    if ticket.department_id is not None:
        ctx.notify("supervise", f"督办: {ctx.reason}", department_id=ticket.department_id)


def escalate(ctx: Context) -> None:
    """Overdue (system): flag, supervise, tell the department and the supervisors; once per deadline."""
    ticket, kind = ctx.ticket, ctx.params.get("kind")
    if kind not in ("accept", "handle"):
        ctx.errors["kind"] = "accept or handle"
    ctx.check()
    if kind == "accept":
        ticket.accept_overdue, due, what = True, ticket.accept_due_at, "签收超时"
    else:
        ticket.overdue, due, what = True, ticket.handle_due_at, "办理逾期"
    ticket.supervised = True
    ticket.supervised_at = ticket.supervised_at or ctx.now
    ctx.reason = ctx.reason or f"{what}: 时限 {local(ctx, due)}"
    key = f"{ticket.id}:escalate-{kind}:{due.isoformat() if due else ''}"
    ctx.notify("escalate", f"{what}, 已督办 (时限 {local(ctx, due)})", department_id=ticket.department_id,
               key=key + ":department")
    ctx.notify("escalate", f"{what}, 已督办", role="supervisor", key=key + ":supervisor")


def remind_accept(ctx: Context) -> None:
    ticket = ctx.ticket
    ticket.accept_reminded_at = ctx.now
    ctx.notify("remind_accept", f"签收催办: 请于 {local(ctx, ticket.accept_due_at)} 前签收",
               department_id=ticket.department_id,
               key=f"{ticket.id}:remind-accept:{ticket.accept_due_at.isoformat() if ticket.accept_due_at else ''}")


ACTIONS: dict[Event, Callable[[Context], None]] = {
    Event.dispatch: dispatch, Event.resolve_on_call: resolve_on_call, Event.merge: merge,
    Event.accept: accept, Event.return_to_center: return_to_center, Event.redispatch: redispatch,
    Event.reject_return: reject_return, Event.reply: reply, Event.request_extension: request_extension,
    Event.approve_extension: approve_extension, Event.reject_extension: reject_extension,
    Event.approve_reply: approve_reply, Event.send_back: send_back, Event.return_visit: return_visit,
    Event.close: close, Event.reopen: reopen, Event.archive: archive, Event.supervise: supervise,
    Event.escalate: escalate, Event.remind_accept: remind_accept, Event.co_accept: co_accept,
    Event.co_opinion: co_opinion,
}
assert set(ACTIONS) == set(Event), "every event needs an action"
