"""What the ticket pages share: the actor, the deadline policy, effects after commit, one way to apply an event.

Not a blueprint: the agent workspace, the department portal, the centre's
review pages and the APIs call these so a ticket moves the same way wherever
the button is.
"""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Department, DepartmentKind, Satisfaction, Ticket, Topic
from db.repositories import tickets as ticket_repo
from tickets import effects
from tickets.context import Actor
from tickets.deadlines import DeadlinePolicy, load_policy
from tickets.errors import InvalidInput, TicketError, TicketNotFound
from tickets.labels import SATISFACTION, label
from tickets.workflow import transition
from web import contract
from web.database import session

# the form fields an event may read (besides reason and version)
EVENT_PARAMS = ("department", "co_departments", "reply", "days", "satisfaction", "resolved", "into", "opinion")


def init_app(app) -> None:
    """Once per app, from each ticket blueprint's registration: effects dispatcher and template helpers."""
    if "ticket_effects" in app.extensions:
        return
    mode = app.config.get("TICKET_EFFECTS", "rq")
    settings = app.config["HOTLINE_SETTINGS"]
    app.extensions["ticket_effects"] = {"rq": lambda: effects.RqDispatcher(settings),
                                        "record": effects.RecordingDispatcher, "off": lambda: None}[mode]()
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["local"] = lambda utc: local_time(utc)
    app.jinja_env.globals["SATISFACTION"] = SATISFACTION


def db() -> Session:
    """The request's session, with ticket side effects going to the app's dispatcher after commit."""
    return effects.bind(session(), current_app.extensions.get("ticket_effects"))


def actor() -> Actor:
    return Actor.of(g.user)


def policy() -> DeadlinePolicy:
    if "ticket_policy" not in g:
        g.ticket_policy = load_policy(session(), current_app.config["HOTLINE_SETTINGS"].timezone)
    return g.ticket_policy


def local_time(utc) -> str:
    return policy().to_local(utc).strftime("%Y-%m-%d %H:%M") if utc else "—"


def event_params(form) -> dict:
    params = {name: form.get(name) for name in EVENT_PARAMS if form.get(name) not in (None, "")}
    co = [c for c in form.getlist("co_departments") if c] if hasattr(form, "getlist") else form.get("co_departments")
    if co:
        params["co_departments"] = co
    return params


def apply_event(number: str, event: str, data, *, scope=None) -> Ticket:
    """Lock the ticket, apply the event with the page's version, commit; TicketError on refusal (rolled back).

    ``data`` (a page's form or an API body) is held to the API's Transition schema first: same limits.
    """
    s = db()
    try:
        problems = contract.form_errors("Transition", data)
        if problems:
            raise InvalidInput.of(problems)
        ticket = ticket_repo.for_update(s, number)
        if ticket is None or (scope is not None and not scope(ticket)):
            raise TicketNotFound(f"there is no ticket {number}")
        version = data.get("version")
        try:
            expected = int(version) if version not in (None, "") else None
        except (TypeError, ValueError):
            expected = -1  # a mangled version never matches: reload
        transition(s, ticket, event, actor(), reason=data.get("reason"), expected_version=expected,
                   params=event_params(data), policy=policy())
        s.commit()
        return ticket
    except TicketError:
        s.rollback()
        raise


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


# --- choices for forms ------------------------------------------------------------
def dispatch_targets(s: Session) -> list[Department]:
    """Departments a ticket can go to: active, not the whole city, not the hotline centre itself."""
    return list(s.scalars(select(Department).where(Department.active.is_(True),
                                                   Department.kind != DepartmentKind.city,
                                                   Department.id.not_in(ticket_repo.centre_departments()))
                          .order_by(Department.kind, Department.code)))


def department_id(s: Session, code: str | None) -> int | None:
    """The id of a dispatch target by code; None for no code or an unknown one."""
    if not code:
        return None
    return next((d.id for d in dispatch_targets(s) if d.code == code), None)


def topic_tree(s: Session) -> list[Topic]:
    """Top-level topics with their children loaded (for <optgroup>s)."""
    return list(s.scalars(select(Topic).where(Topic.parent_id.is_(None), Topic.active.is_(True))
                          .order_by(Topic.code)))


def districts(s: Session) -> list[Department]:
    return list(s.scalars(select(Department).where(Department.kind == DepartmentKind.district)
                          .order_by(Department.code)))


SATISFACTION_CHOICES = [(s.value, SATISFACTION[s]) for s in Satisfaction]
