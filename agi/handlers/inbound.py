"""``AGI(agi://host/inbound,<trace>,<linkedid>,<recording>)``: first contact of a citizen's call.

Opens the call record (来电记录), decides the route from the dialed number and
hands the dialplan what to play, which menu to run and where to go.
"""
from __future__ import annotations

from agi.config_snapshot import CACHE
from agi.request import AgiRequest
from agi.routing import Context, Route, decide, queue_route
from db.repositories import calls as call_repo
from db.session import utcnow
from hotline import dialplan as v
from hotline.config import current_settings
from ivr.engine import agent_queue
from ivr.prompts import exists as prompt_exists


def routing_context() -> Context:

    settings = current_settings()
    return Context(local_now=settings.local_now(),
                   prompt_exists=lambda lang, name: prompt_exists(settings, lang, name))


def apply_route(req: AgiRequest, route: Route, *, prompts: tuple[str, ...] = (), menu: str | None = None,
                line_number: str | None = None) -> None:
    """The decision for the dialplan, in one SET VARIABLE (see hotline.dialplan.DECISION_FIELDS).

    An empty HOTLINE_ROUTE after it means Python failed: the dialplan falls back.
    """
    values = {
        v.ROUTE: route.kind, v.QUEUE: route.queue, v.QUEUE_OPTIONS: "tc",  # c: the caller stays when the agent hangs up (一次一评)
        v.QUEUE_TIMEOUT: route.queue_timeout or "", v.OVERFLOW_QUEUE: route.overflow_queue or "",
        v.TRANSFER_TARGET: route.transfer_target or "", v.TRANSFER_KIND: route.transfer_kind or "",
        v.LANGUAGE: route.language, v.PROMPTS: "&".join(prompts), v.MENU: menu or "", v.LINE: line_number or "",
        v.LINE_MAX_CALL: (route.line.max_call_seconds or "") if route.line is not None else "",
    }
    fields = [str(values[name]) for name in v.DECISION_FIELDS]
    if any("," in value for value in fields):
        raise ValueError(f"a decision value contains a comma: {fields}")
    req.set_variable(v.DECISION, ",".join(fields))



def to_an_agent(req: AgiRequest, config, call, *, language: str, line, channel=None) -> Route:
    """After a self-service (工单查询, 常见问题, 社保缴费): on to an agent of the call's language.

    No longer self-served: the agent (or an abandon) decides the outcome. ``channel`` given: the
    caller hears "connecting you to an agent" first. The record's queue is committed before the
    decision goes to the dialplan.
    """
    req.set_variable(v.TRANSFER_KIND, "")
    req.set_variable("DIALSTATUS", "")
    if channel is not None:
        channel.play("transfer-agent")
    route = queue_route(config, agent_queue(language), line=line, language=language)
    if call is not None:
        call.queue_name = route.queue
    req.session.commit()
    return route

def handle(req: AgiRequest) -> None:
    trace_id, linkedid, recording = (req.argv + ["", "", ""])[:3]
    config = CACHE.get(req.session)
    route = decide(config, req.dialed_number, routing_context())
    call = call_repo.open_call(
        req.session, uniqueid=req.uniqueid, linkedid=linkedid or req.uniqueid, trace_id=trace_id or None,
        channel=req.env.get("agi_channel"), caller=req.caller, dialed_number=req.dialed_number,
        line=route.line, arrived_at=utcnow(), recording_file=recording or None,
    )
    call.language = route.language
    if route.kind == "queue":   # provisional: at hangup the dialplan's HOTLINE_QUEUE_START says if it joined
        call.queue_name = route.queue
        call.queue_joined_at = utcnow()
    # the supervisor's hot-topic announcement goes before everything, except on an emergency call
    surge = config.surge_prompt()
    prompts = ((surge,) if surge else ()) + route.prompts if route.transfer_kind != "emergency" else ()
    line_number = route.line.number if route.line is not None else None
    req.session.commit()  # the record is safe before we talk to Asterisk again (and SQLite's writer is free)
    req.log.info("dialed %s: %s %s (%s)%s", req.dialed_number, route.kind,
                 route.transfer_target or route.queue, route.reason, f", menu {route.menu}" if route.menu else "")
    apply_route(req, route, prompts=prompts, menu=route.menu, line_number=line_number)
