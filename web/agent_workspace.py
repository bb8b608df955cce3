"""The agent workspace (坐席工作台): screen pop for the call the agent is on, and the ticket form.

One form does intake and its first step in one transaction: save (受理),
resolve on the call (直办), dispatch (派单) or merge into an open ticket
(并单). A refused form comes back with every error next to its field and
everything typed still there.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from db.models import Department, Role, Ticket, Topic
from db.repositories import calls as call_repo
from hotline.caller_id import known_number
from knowledge.errors import KnowledgeError
from knowledge.usage import record_use
from tickets.errors import InvalidInput, TicketError
from tickets.intake import create_ticket
from tickets.screen_pop import caller_history, current_call, similar_open_tickets
from tickets.workflow import transition
from web import contract
from web import ticket_views as tv
from web.auth import login_required, register_home

bp = Blueprint("agent", __name__, url_prefix="/agent")
bp.record_once(lambda state: tv.init_app(state.app))
register_home(Role.agent, "agent.workspace")

# form button → the event applied right after intake (None: only saved, the centre dispatches later)
NEXT_STEP = {"save": None, "resolve": "resolve_on_call", "dispatch": "dispatch", "merge": "merge"}


def _agent_id() -> int | None:
    return g.user.agent_id


@bp.get("/")
@login_required(Role.agent)
def workspace():
    return _workspace_page(form={})


@bp.get("/current-call.json")
@login_required(Role.agent)
def current_call_json():
    """Polled by the workspace: the uniqueid of the call the agent is on (null when none)."""
    call = current_call(tv.db(), _agent_id())
    return jsonify({"uniqueid": call.uniqueid if call else None,
                    "caller": (known_number(call.caller) or "隐藏号码 withheld") if call else None})


@bp.get("/similar.json")
@login_required(Role.agent)
def similar_json():
    """相似工单 for what the agent has typed so far (topic, district, street, address)."""
    s, args = tv.db(), request.args
    topic_id = s.scalar(select(Topic.id).where(Topic.code == args.get("topic", "")))
    found = {code: s.scalar(select(Department.id).where(Department.code == code))
             for code in (args.get("district"), args.get("street")) if code}
    pairs = similar_open_tickets(s, topic_id=topic_id, district_id=found.get(args.get("district")),
                                 street_id=found.get(args.get("street")), address=args.get("address"))
    return jsonify([{"number": t.number, "score": score, "state": tv.label(t.state), "topic": t.topic,
                     "address": t.address, "department": t.department.name if t.department else None,
                     "created_at": tv.local_time(t.created_at), "description": t.description[:60]}
                    for t, score in pairs])


@bp.post("/tickets")
@login_required(Role.agent)
def create():
    s, form = tv.db(), request.form
    action = form.get("action", "save")
    errors: dict[str, str] = {}
    if action not in NEXT_STEP:
        errors["action"] = f"unknown action {action!r}"
    calls = []
    if form.get("call_uniqueid"):
        call = call_repo.get_by_uniqueid(s, form["call_uniqueid"])
        if call is None or _agent_id() is None or call.agent_id != _agent_id():
            errors["call_uniqueid"] = "this call is not one you answered"
        else:
            calls = [call]
    data = {name: form.get(name) for name in ("caller_name", "caller_phone", "caller_email", "line", "category",
                                              "topic", "urgency", "address", "district", "street", "grid",
                                              "latitude", "longitude", "description")}
    data["confidential"] = form.get("confidential", "")
    data["do_not_call"] = form.get("do_not_call", "")
    errors.update(contract.form_errors("TicketDraft", form))  # the API's limits, for the same fields
    errors.update(contract.form_errors("Transition", {k: v for k, v in form.items() if k in ("reason", "reply")}))
    try:
        if errors:
            raise InvalidInput.of(errors)
        ticket = create_ticket(s, data, tv.actor(), calls=calls,
                               timezone=current_app.config["HOTLINE_SETTINGS"].timezone)
        event = NEXT_STEP[action]
        if event:
            transition(s, ticket, event, tv.actor(), reason=form.get("reason"), params=tv.event_params(form),
                       policy=tv.policy())
        if form.get("knowledge_article"):  # 直办 with a reference: the article that answered the call
            record_use(s, form["knowledge_article"], g.user.username, call=calls[0] if calls else None, ticket=ticket)
        s.commit()
    except KnowledgeError as refused:
        s.rollback()
        error = InvalidInput.of(refused.fields or {"knowledge_article": refused.message})
        return _workspace_page(form=form, error=error), error.status
    except TicketError as refused:
        s.rollback()
        return _workspace_page(form=form, error=refused), refused.status
    where = f" → {ticket.department.name}" if ticket.department else ""
    # the citizen is told the number and the query code (查询码) for the phone progress query (按2)
    flash(f"工单 {ticket.number} {tv.label(ticket.state)}{where} · 查询码 {ticket.query_code}")
    return redirect(url_for("agent.workspace", done=ticket.number))


def _workspace_page(form, error: TicketError | None = None):
    s = tv.db()
    call = current_call(s, _agent_id())
    if call is None and form.get("call_uniqueid"):
        call = call_repo.get_by_uniqueid(s, form["call_uniqueid"])  # keep the call a refused form was about
    caller_number = known_number(call.caller) if call else ""  # a withheld number is never pre-filled
    phone = form.get("caller_phone") or caller_number
    history = caller_history(s, phone, exclude_call=call)
    latest = history.tickets[0] if history.tickets else None
    similar = similar_open_tickets(s, topic_id=latest.topic_id, street_id=latest.street_id,
                                   district_id=latest.district_id, address=latest.address) if latest else []
    mine = list(s.scalars(select(Ticket).where(Ticket.created_by == g.user.username)
                          .order_by(Ticket.id.desc()).limit(10)))
    return render_template("agent/workspace.html", call=call, history=history, similar=similar, mine=mine,
                           caller_number=caller_number, form=form, error=error, fields=error.fields if error else {},
                           topics=tv.topic_tree(s), districts=tv.districts(s), targets=tv.dispatch_targets(s),
                           state_panel="agent_state.panel" in current_app.view_functions,
                           done=request.args.get("done"))
