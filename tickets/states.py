"""The ticket state machine, declared as data: (state, event) → next state, and who may do it.

The closed loop of 国办发〔2020〕53号 / GB/T 33358 practice:

    受理 intake ─直办 resolve_on_call──────────────────────────────▶ 办结 closed ─归档▶ archived
        │ 派单 dispatch (主办 + 协办)                                   ▲   │ reopen (不满意)
        ▼                                                              │   ▼
    dispatched ─签收 accept▶ accepted ─答复 reply▶ replied ─审核通过▶ awaiting_visit ─回访▶ visited
        │  ▲                 │   ▲ │                  │ send_back (退回重办)
        │  │ 改派/驳回退单     │   │ └延期 request_extension ⇄ approve/reject (extension_requested)
        └退单 return_to_center┘   └──────────────────┘
                 ▼
              returned (centre reviews the return)

Events that mark a ticket without moving it (督办 supervise, system escalate and
reminders, 协办 co-handler acts) are self-transitions, so they go through the
same function and leave the same audit row.
"""
from __future__ import annotations

import enum

from db.models.tickets import FINAL_STATES, OPEN_STATES, WITH_DEPARTMENT  # noqa: F401 (re-exported)
from db.models.tickets import TicketState as S


class Event(enum.StrEnum):
    dispatch = "dispatch"                    # 派单
    resolve_on_call = "resolve_on_call"      # 直办
    merge = "merge"                          # 并单 (this ticket is the duplicate)
    accept = "accept"                        # 签收
    return_to_center = "return_to_center"    # 退单
    redispatch = "redispatch"                # 改派
    reject_return = "reject_return"          # 退单驳回: back to the same department
    reply = "reply"                          # 答复
    request_extension = "request_extension"  # 延期申请
    approve_extension = "approve_extension"  # 延期批准
    reject_extension = "reject_extension"    # 延期驳回
    approve_reply = "approve_reply"          # 审核通过
    send_back = "send_back"                  # 审核退回, 重办
    return_visit = "return_visit"            # 回访
    close = "close"                          # 办结
    reopen = "reopen"                        # 重启 (citizen not satisfied)
    archive = "archive"                      # 归档
    supervise = "supervise"                  # 督办
    escalate = "escalate"                    # 逾期升级 (system): overdue → 督办 + notification
    remind_accept = "remind_accept"          # 签收催办 (system)
    co_accept = "co_accept"                  # 协办签收
    co_opinion = "co_opinion"                # 协办意见


E = Event

# the state groupings live with the model (db.models.tickets): repositories need them too

TRANSITIONS: dict[tuple[S, Event], S] = {
    (S.intake, E.dispatch): S.dispatched,
    (S.intake, E.resolve_on_call): S.closed,
    (S.intake, E.merge): S.merged,

    (S.dispatched, E.accept): S.accepted,
    (S.dispatched, E.return_to_center): S.returned,
    (S.dispatched, E.redispatch): S.dispatched,
    (S.dispatched, E.merge): S.merged,
    (S.dispatched, E.remind_accept): S.dispatched,

    (S.accepted, E.reply): S.replied,
    (S.accepted, E.request_extension): S.extension_requested,
    (S.accepted, E.return_to_center): S.returned,
    (S.accepted, E.redispatch): S.dispatched,

    (S.returned, E.redispatch): S.dispatched,
    (S.returned, E.reject_return): S.dispatched,
    (S.returned, E.merge): S.merged,

    (S.extension_requested, E.approve_extension): S.accepted,
    (S.extension_requested, E.reject_extension): S.accepted,
    (S.extension_requested, E.reply): S.replied,

    (S.replied, E.approve_reply): S.awaiting_visit,
    (S.replied, E.send_back): S.accepted,

    (S.awaiting_visit, E.return_visit): S.visited,
    (S.awaiting_visit, E.close): S.closed,

    (S.visited, E.close): S.closed,
    (S.visited, E.reopen): S.dispatched,

    (S.closed, E.reopen): S.dispatched,
    (S.closed, E.archive): S.archived,

    # marks that leave the state as it is
    **{(s, E.supervise): s for s in OPEN_STATES},
    **{(s, E.escalate): s for s in WITH_DEPARTMENT},
    **{(s, E.co_accept): s for s in WITH_DEPARTMENT},
    **{(s, E.co_opinion): s for s in WITH_DEPARTMENT},
}


class Party(enum.StrEnum):
    """Who may trigger an event: a centre role, or a clerk by their department's part in the ticket."""

    agent = "agent"
    reviewer = "reviewer"
    supervisor = "supervisor"
    admin = "admin"
    primary_clerk = "primary_clerk"  # clerk of the 主办 department
    co_clerk = "co_clerk"            # clerk of an active 协办 department
    system = "system"                # the deadline jobs, the phone return visit


P = Party
RIGHTS: dict[Event, frozenset[Party]] = {
    E.dispatch: frozenset({P.agent, P.reviewer}),
    E.resolve_on_call: frozenset({P.agent, P.reviewer}),
    E.merge: frozenset({P.agent, P.reviewer}),
    E.accept: frozenset({P.primary_clerk}),
    E.return_to_center: frozenset({P.primary_clerk}),
    E.redispatch: frozenset({P.reviewer}),
    E.reject_return: frozenset({P.reviewer}),
    E.reply: frozenset({P.primary_clerk}),
    E.request_extension: frozenset({P.primary_clerk}),
    E.approve_extension: frozenset({P.reviewer}),
    E.reject_extension: frozenset({P.reviewer}),
    E.approve_reply: frozenset({P.reviewer}),
    E.send_back: frozenset({P.reviewer}),
    # system: the phone return visit (tickets.return_visits) records the citizen's keys, then closes or reopens
    E.return_visit: frozenset({P.reviewer, P.agent, P.system}),
    E.close: frozenset({P.reviewer, P.system}),
    E.reopen: frozenset({P.reviewer, P.agent, P.system}),
    E.archive: frozenset({P.reviewer, P.admin, P.system}),
    E.supervise: frozenset({P.reviewer, P.supervisor}),
    E.escalate: frozenset({P.system}),
    E.remind_accept: frozenset({P.system}),
    E.co_accept: frozenset({P.co_clerk}),
    E.co_opinion: frozenset({P.co_clerk}),
}

assert set(RIGHTS) == set(Event), "every event needs its rights declared"


def next_state(state: S, event: Event) -> S | None:
    return TRANSITIONS.get((S(state), Event(event)))


def events_from(state: S) -> list[Event]:
    """The events possible in ``state``, in declaration order."""
    return [event for (s, event) in TRANSITIONS if s == state]
