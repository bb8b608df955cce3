"""``AGI(agi://host/inbound,<trace>,<linkedid>,<recording>)``: first contact of a citizen's call.

Opens the call record (来电记录) and tells the dialplan where the call goes.
"""
from __future__ import annotations

from agi import variables as v
from agi.request import AgiRequest
from agi.routing import decide
from db.repositories import calls as call_repo
from db.session import utcnow


def handle(req: AgiRequest) -> None:
    trace_id, linkedid, recording = (req.argv + ["", "", ""])[:3]
    now = utcnow()
    route = decide(req.session, req.dialed_number, now)
    call = call_repo.open_call(
        req.session, uniqueid=req.uniqueid, linkedid=linkedid or req.uniqueid, trace_id=trace_id or None,
        channel=req.env.get("agi_channel"), caller=req.caller, dialed_number=req.dialed_number,
        line=route.line, arrived_at=now, recording_file=recording or None,
    )
    if route.kind == "queue":
        call.queue_name = route.queue
        call.queue_joined_at = utcnow()
    req.log.info("dialed %s: route %s queue %s (%s)", req.dialed_number, route.kind, route.queue, route.reason)

    req.set_variable(v.QUEUE, route.queue)
    req.set_variable(v.QUEUE_OPTIONS, "t")
    req.set_variable(v.QUEUE_TIMEOUT, route.queue_timeout or "")
    req.set_variable(v.OVERFLOW_QUEUE, route.overflow_queue or "")
    if route.line is not None:
        req.set_variable(v.LINE, route.line.number)
    req.set_variable(v.ROUTE, route.kind)  # last: the dialplan treats an empty route as "Python failed"
