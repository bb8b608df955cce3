"""Which tickets a department sees: its own (主办/协办) and those that came in through a number it owned."""
from __future__ import annotations

from sqlalchemy import select

from db.models import Department, Ticket
from db.repositories import tickets as ticket_repo
from tests.tickets.conftest import MONDAY, draft
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import transition


def visible(session, code: str) -> set[str]:
    department_id = session.scalar(select(Department.id).where(Department.code == code))
    return set(session.scalars(select(Ticket.number).where(ticket_repo.visible_to_department(department_id))))


def test_primary_co_handler_and_old_number_owner_see_it_nobody_else(session, actors, policy):
    # 12331 食品药品投诉举报 was merged into 12345; its owner is scjgj
    via_merged = create_ticket(session, draft(line="12331"), actors["agent"], now=MONDAY)
    transition(session, via_merged, Event.dispatch, actors["agent"], now=MONDAY, policy=policy,
               params={"department": "lixia", "co_departments": ["cgj"]})
    plain = create_ticket(session, draft(), actors["agent"], now=MONDAY)  # dialed 12345, not dispatched
    session.flush()
    assert via_merged.number in visible(session, "lixia")      # 主办
    assert via_merged.number in visible(session, "cgj")        # 协办
    assert via_merged.number in visible(session, "scjgj")      # owner of the old number
    assert via_merged.number not in visible(session, "sthjj")
    assert plain.number not in visible(session, "scjgj") | visible(session, "lixia") | visible(session, "cgj")
    # a redispatch ends the co-handler's part
    transition(session, via_merged, Event.redispatch, actors["reviewer"], now=MONDAY, policy=policy,
               params={"department": "sthjj"})
    session.flush()
    assert via_merged.number not in visible(session, "cgj") | visible(session, "lixia")
    assert via_merged.number in visible(session, "sthjj") and via_merged.number in visible(session, "scjgj")
