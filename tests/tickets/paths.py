"""Legal paths through the loop, to put a test ticket in any state."""
from __future__ import annotations

import datetime as dt

from db.models import TicketState as S
from tickets.states import Event as E
from tickets.workflow import transition

# event → (actor key, params, reason) that makes the event legal, given the paths below
CALLS = {
    E.dispatch: ("agent", {"department": "scjgj", "co_departments": ["cgj"]}, "请核查"),
    E.resolve_on_call: ("agent", {"reply": "已告知办理流程和所需材料"}, None),
    E.merge: ("reviewer", {"into": None}, "同一事项"),  # "into" filled with a fresh ticket
    E.accept: ("clerk", {}, None),
    E.return_to_center: ("clerk", {}, "不属于本单位职责"),
    E.redispatch: ("reviewer", {"department": "cgj"}, "改派城管"),
    E.reject_return: ("reviewer", {}, "属于本单位职责"),
    E.reply: ("clerk", {"reply": "已现场检查, 责令整改并立案调查"}, None),
    E.request_extension: ("clerk", {"days": 5}, "需要抽样检测"),
    E.approve_extension: ("reviewer", {}, "同意"),
    E.reject_extension: ("reviewer", {}, "时限内可以办结"),
    E.approve_reply: ("reviewer", {}, None),
    E.send_back: ("reviewer", {}, "答复未说明处理结果"),
    E.return_visit: ("agent", {"satisfaction": "satisfied"}, None),
    E.close: ("reviewer", {}, "市民无法联系"),
    E.reopen: ("reviewer", {}, "市民反映问题仍未解决"),
    E.archive: ("reviewer", {}, None),
    E.supervise: ("supervisor", {}, "市领导关注, 加快办理"),
    E.escalate: ("system", {"kind": "handle"}, None),
    E.remind_accept: ("system", {}, None),
    E.co_accept: ("co_clerk", {}, None),
    E.co_opinion: ("co_clerk", {"opinion": "配合开展联合执法"}, None),
}

# state → the events that lead there from intake
PATHS = {
    S.intake: [],
    S.dispatched: [E.dispatch],
    S.accepted: [E.dispatch, E.accept],
    S.returned: [E.dispatch, E.return_to_center],
    S.extension_requested: [E.dispatch, E.accept, E.request_extension],
    S.replied: [E.dispatch, E.accept, E.reply],
    S.awaiting_visit: [E.dispatch, E.accept, E.reply, E.approve_reply],
    S.visited: [E.dispatch, E.accept, E.reply, E.approve_reply, E.return_visit],
    S.closed: [E.dispatch, E.accept, E.reply, E.approve_reply, E.return_visit, E.close],
    S.archived: [E.dispatch, E.accept, E.reply, E.approve_reply, E.return_visit, E.close, E.archive],
    S.merged: [E.merge],
}


def apply(session, ticket, event, actors, new_ticket, at, policy, **override):
    actor, params, reason = CALLS[event]
    params = dict(params)
    if event is E.merge:
        params["into"] = new_ticket(at=at).number
    params.update(override)
    return transition(session, ticket, event, actors[actor], reason=reason, params=params, now=at, policy=policy)


def ticket_in(state, session, actors, new_ticket, policy, at: dt.datetime):
    ticket = new_ticket(at=at)
    for step, event in enumerate(PATHS[state]):
        apply(session, ticket, event, actors, new_ticket, at + dt.timedelta(minutes=step + 1), policy)
    assert ticket.state is state
    return ticket
