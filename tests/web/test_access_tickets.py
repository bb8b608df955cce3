"""Role × endpoint access matrix of the ticket pages and APIs (allowed → 2xx/3xx, else 403; anonymous → login)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Department, Ticket
from tests.support.web import post_form, post_json
from tickets.context import Actor
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import transition

ROLES = ("agent", "reviewer", "clerk", "supervisor", "admin")
CENTRE = {"agent", "reviewer", "supervisor", "admin"}
EVERYONE = set(ROLES)

GET = {  # path ({n} = a ticket dispatched to the clerk's department) → roles allowed
    "/agent/": {"agent"},
    "/agent/current-call.json": {"agent"},
    "/agent/similar.json?topic=market-food": {"agent"},
    "/department/": {"clerk"},
    "/department/tickets/{n}": {"clerk"},
    "/centre/": {"reviewer", "supervisor", "admin"},
    "/centre/tickets": CENTRE,
    "/centre/tickets/{n}": CENTRE,
    "/admin/tickets/": {"admin"},
    "/api/v1/topics": EVERYONE,
    "/api/v1/departments": EVERYONE,
    "/api/v1/tickets": EVERYONE,
    "/api/v1/tickets/{n}": EVERYONE,
    "/api/v1/tickets/{n}/events": EVERYONE,
}
POST = {  # path → (roles allowed past the role check, the status they get for this harmless input)
    "/agent/tickets": ({"agent"}, 400),               # empty form: field errors
    "/admin/tickets/limits": ({"admin"}, 302),        # nothing to change
    "/centre/tickets/{n}/nonsense": (CENTRE, 400),    # unknown event
}
JSON_POST = {
    "/api/v1/tickets": ({"agent", "reviewer"}, 400),  # empty object: field errors
}


@pytest.fixture(scope="module")
def number(ticket_app, db_session):
    with db_session() as s:
        ticket = create_ticket(s, {"category": "help", "topic": "utilities-water", "description": "停水三天了",
                                   "caller_phone": "13500000000"}, Actor("agent1001", "agent"))
        transition(s, ticket, Event.dispatch, Actor("agent1001", "agent"), params={"department": "scjgj"})
        s.commit()
        assert s.scalar(select(Department.code).where(Department.id == ticket.department_id)) == "scjgj"
        return ticket.number


@pytest.mark.parametrize("path", sorted(GET))
@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(as_role, number, role, path):
    status = as_role(role).get(path.format(n=number)).status_code
    assert status == (200 if role in GET[path] else 403), (role, path, status)


@pytest.mark.parametrize("path", sorted(POST))
@pytest.mark.parametrize("role", ROLES)
def test_post_matrix(as_role, number, role, path):
    allowed, status = POST[path]
    got = post_form(as_role(role), path.format(n=number)).status_code
    assert got == (status if role in allowed else 403), (role, path, got)


@pytest.mark.parametrize("path", sorted(JSON_POST))
@pytest.mark.parametrize("role", ROLES)
def test_json_post_matrix(as_role, role, path):
    allowed, status = JSON_POST[path]
    response = post_json(as_role(role), path, {})
    assert response.status_code == (status if role in allowed else 403), (role, path)
    assert "error" in response.get_json()


@pytest.mark.parametrize("path", sorted(set(GET) | set(POST)))
def test_anonymous_is_sent_to_login_or_refused(ticket_app, number, path):
    client = ticket_app.test_client()
    target = path.format(n=number)
    response = client.post(target) if path in POST else client.get(target)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.get_json()["error"]["id"] == "login_required"
    elif path in POST:
        assert response.status_code == 400  # no session, no CSRF token: refused before anything runs
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_transition_rights_hold_behind_the_role_check(as_role, number, db_session):
    """An agent may open the centre's ticket page but not approve a reply or 督办."""
    with db_session() as s:
        version = s.scalar(select(Ticket.version).where(Ticket.number == number))
    for role, event in (("agent", "supervise"), ("supervisor", "redispatch"), ("admin", "supervise")):
        response = post_form(as_role(role), f"/centre/tickets/{number}/{event}", version=str(version),
                             reason="x", department="cgj")
        assert response.status_code == 403, (role, event)
        assert "may not" in response.get_data(as_text=True)
