"""Dispatching (派单): which departments a ticket can go to, and giving it to them with fresh deadlines.

Helpers of the event actions (``tickets.actions``); they add field errors to
the context instead of raising, so an action reports every problem at once.
"""
from __future__ import annotations

from sqlalchemy import select

from db.models import AssignmentRole, Department, DepartmentKind, TicketAssignment
from db.repositories import tickets as ticket_repo
from tickets.context import Context


def find_department(ctx: Context, value, field: str) -> Department | None:
    """A department a ticket can be dispatched to, by code or id; a field error otherwise."""
    if isinstance(value, Department):
        department = value
    else:
        text = str(value).strip()
        department = ctx.session.scalar(select(Department).where(Department.code == text))
        if department is None and text.isdigit():
            department = ctx.session.get(Department, int(text))
        if department is None:
            ctx.errors[field] = f"unknown department {text!r}"
            return None
    if not department.active:
        ctx.errors[field] = f"department {department.code} is inactive"
    elif department.kind is DepartmentKind.city:
        ctx.errors[field] = f"{department.code} is the whole city: dispatch to a bureau, district or street"
    elif department.id in centre_department_ids(ctx):
        ctx.errors[field] = f"{department.code} is the hotline centre itself: resolve on the call instead"
    return department


def centre_department_ids(ctx: Context) -> set[int]:
    return set(ctx.session.scalars(ticket_repo.centre_departments()))


def co_departments(ctx: Context, primary: Department | None) -> list[Department]:
    raw = ctx.params.get("co_departments") or []
    if isinstance(raw, str):
        raw = [part for part in raw.replace("，", ",").split(",")]
    found: list[Department] = []
    for value in raw:
        if str(value).strip():
            department = find_department(ctx, value, "co_departments")
            if department is not None and department not in found:
                found.append(department)
    if primary is not None and primary in found:
        ctx.errors["co_departments"] = "the primary department (主办) cannot also be a co-handler (协办)"
    return found


def local(ctx: Context, utc) -> str:
    return ctx.policy.to_local(utc).strftime("%Y-%m-%d %H:%M") if utc else "—"


def assign(ctx: Context, primary: Department, co: list[Department]) -> None:
    """Give the ticket to ``primary`` (+ co-handlers) with fresh deadlines from now."""
    ticket, now = ctx.ticket, ctx.now
    for old in ticket.assignments:
        if old.active:
            old.active, old.ended_at = False, now
    ticket.department = primary
    ticket.assignments.append(TicketAssignment(department=primary, role=AssignmentRole.primary, dispatched_at=now))
    for department in co:
        ticket.assignments.append(TicketAssignment(department=department, role=AssignmentRole.co, dispatched_at=now))
    accept = ctx.policy.accept_due(ticket.urgency, now)
    handle = ctx.policy.handle_due(ticket.urgency, now)
    back = ctx.policy.return_due(now)
    ticket.dispatched_at, ticket.accepted_at = now, None
    ticket.accept_due_at, ticket.handle_due_at, ticket.return_due_at = accept.at, handle.at, back.at
    ticket.deadline_estimated = accept.estimated or handle.estimated or back.estimated
    ticket.accept_reminded_at, ticket.accept_overdue, ticket.overdue = None, False, False
    ticket.extension_days = 0
    ctx.detail = f"→ {primary.code}" + (f" + 协办 {', '.join(d.code for d in co)}" if co else "")
    due = f"请于 {local(ctx, accept.at)} 前签收, {local(ctx, handle.at)} 前办结"
    ctx.notify("dispatch", f"新工单 (主办) {due}", department_id=primary.id)
    for department in co:
        ctx.notify("dispatch", f"新工单 (协办) {due}", department_id=department.id)


def active_co(ctx: Context) -> TicketAssignment:
    return next(a for a in ctx.ticket.co_assignments if a.department_id == ctx.actor.department_id)


def whole_number(ctx: Context, name: str, low: int, high: int) -> int | None:
    value = ctx.params.get(name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        ctx.errors[name] = "required: a whole number of working days" if value in (None, "") else \
            f"{value!r} is not a whole number"
        return None
    if not low <= number <= high:
        ctx.errors[name] = f"must be between {low} and {high}"
        return None
    return number
