"""The centre's lists at size: the ticket search, the review queue, the department portal's sections and the
supervisor's calls page page, filter and sort in SQL, export CSV, and show centre time."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from db.models import Call, CallOutcome, Ticket
from tickets.context import Actor
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import transition

N = 57          # tickets of this module, all dispatched to scjgj
TAG = "列表测试"  # in their description, to find them among other tests' tickets
AGENT = Actor("agent1001", "agent")


@pytest.fixture(scope="module")
def numbers(db_session):
    with db_session() as s:
        out = []
        for i in range(N):
            ticket = create_ticket(s, {"category": "help", "topic": "utilities-water", "caller_phone": "13500000001",
                                       "description": f"{TAG} {i:03d}"}, AGENT)
            transition(s, ticket, Event.dispatch, AGENT, params={"department": "scjgj"})
            out.append(ticket.number)
        # one created on a known UTC instant: 2025-03-03 17:30 UTC is 2025-03-04 01:30 in Beijing
        s.get(Ticket, ticket.id).created_at = dt.datetime(2025, 3, 3, 17, 30)
        s.commit()
        return out


def rows_of(page: str) -> list[str]:
    return re.findall(r'/tickets/(GD\w+)">', page)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_search_pages_without_repeating_or_skipping(as_role, numbers):
    client = as_role("reviewer")
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/centre/tickets?department=scjgj&sort=number&dir=asc&per=25&page={page}")
        assert body.status_code == 200
        seen += [n for n in rows_of(body.get_data(as_text=True)) if n in numbers]
    assert seen == sorted(numbers)
    text = client.get("/centre/tickets?department=scjgj&per=25").get_data(as_text=True)
    assert re.search(r"1–25 / \d+", text) and 'rel="next"' in text


def test_the_sort_goes_both_ways(as_role, numbers):
    client = as_role("supervisor")
    up = rows_of(client.get("/centre/tickets?sort=number&dir=asc&per=200").get_data(as_text=True))
    down = rows_of(client.get("/centre/tickets?sort=number&dir=desc&per=200").get_data(as_text=True))
    assert up == sorted(up) and down == sorted(down, reverse=True) and set(numbers) <= set(up)


def test_the_csv_is_the_whole_filtered_list_in_centre_time(as_role, numbers):
    rows = read_csv(as_role("reviewer").get("/centre/tickets?department=scjgj&format=csv&per=5"))
    mine = [r for r in rows if r["description"].startswith(TAG)]
    assert len(mine) == N  # not one page: everything the filter matches
    assert {r["department"] for r in mine} == {"济南市市场监督管理局"}
    [early] = [r for r in mine if r["number"] == numbers[-1]]
    assert early["created"] == "2025-03-04 01:30"


def test_a_date_filter_is_in_centre_dates(as_role, numbers):
    client = as_role("reviewer")
    assert rows_of(client.get("/centre/tickets?from=2025-03-04&to=2025-03-04").get_data(as_text=True)) == [numbers[-1]]
    assert rows_of(client.get("/centre/tickets?from=2025-03-03&to=2025-03-03").get_data(as_text=True)) == []


@pytest.mark.parametrize("query, field", [("sort=description", "sort"), ("dir=sideways", "dir"),
                                          ("page=zero", "page"), ("per=100000", "per"), ("from=2025-13-01", "from"),
                                          ("state=nonsense", "state"), ("department=nowhere", "department")])
def test_bad_list_input_is_a_clear_400(as_role, query, field):
    response = as_role("reviewer").get(f"/centre/tickets?{query}")
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.get_data(as_text=True)


def test_the_review_queue_shows_sizes_and_links_to_the_paged_list(as_role, numbers):
    page = as_role("reviewer").get("/centre/").get_data(as_text=True)
    assert "state=dispatched" not in page  # dispatched is the department's, not a review queue
    assert "/centre/tickets?state=intake" in page and "format=csv" in page


def test_the_department_sees_its_section_paged_sorted_and_as_csv(as_role, numbers):
    client = as_role("clerk")
    portal = client.get("/department/").get_data(as_text=True)
    assert "/department/list/accept" in portal
    assert len([n for n in rows_of(portal) if n in numbers]) <= 20  # the portal shows the most urgent only
    seen = []
    for page in (1, 2):
        text = client.get(f"/department/list/accept?sort=number&dir=desc&per=40&page={page}").get_data(as_text=True)
        seen += [n for n in rows_of(text) if n in numbers]
    assert seen == sorted(numbers, reverse=True)
    rows = read_csv(client.get("/department/list/accept?format=csv"))
    assert {r["number"] for r in rows} >= set(numbers)
    assert client.get("/department/list/nowhere").status_code == 404
    other = as_role("clerk_cgj").get("/department/list/accept?format=csv")
    assert not {r["number"] for r in read_csv(other)} & set(numbers)  # another department sees none of them


@pytest.mark.parametrize("role, status", [("agent", 403), ("reviewer", 403), ("supervisor", 200), ("admin", 200)])
def test_who_may_open_the_calls_page(as_role, role, status):
    assert as_role(role).get("/supervisor/calls").status_code == status


@pytest.fixture(scope="module")
def calls(db_session):
    """Five calls on 2025-03-04 centre time, the first at 00:30 Beijing (16:30 UTC the day before)."""
    start = dt.datetime(2025, 3, 3, 16, 30)
    with db_session() as s:
        for i in range(5):
            at = start + dt.timedelta(hours=i)
            outcome = CallOutcome.answered if i % 2 == 0 else CallOutcome.abandoned
            s.add(Call(uniqueid=f"list-{i}", caller=f"1390000000{i}", dialed_number="12345", arrived_at=at,
                       queue_name="12345", outcome=outcome, wait_seconds=10 + i,
                       talk_seconds=60 if outcome == CallOutcome.answered else None))
        s.commit()


def test_the_calls_page_shows_centre_time_and_filters_by_centre_date(as_role, calls):
    client = as_role("supervisor")
    text = client.get("/supervisor/calls?from=2025-03-04&to=2025-03-04").get_data(as_text=True)
    assert "2025-03-04 00:30:00" in text and "2025-03-03 16:30" not in text
    assert text.count("1390000000") == 5
    assert "1390000000" not in client.get("/supervisor/calls?from=2025-03-03&to=2025-03-03").get_data(as_text=True)
    overview = client.get("/supervisor/").get_data(as_text=True)
    assert "arrived (Asia/Shanghai)" in overview and "(UTC)" not in overview


def test_the_calls_page_sorts_pages_filters_and_exports(as_role, calls):
    client = as_role("supervisor")
    q = "from=2025-03-04&to=2025-03-04"
    rows = read_csv(client.get(f"/supervisor/calls?{q}&outcome=abandoned&format=csv"))
    assert [r["caller"] for r in rows] == ["13900000003", "13900000001"]  # newest first by default
    assert rows[0]["arrived"] == "2025-03-04 03:30:00" and rows[0]["talk"] == ""
    waits = [r["wait"] for r in read_csv(client.get(f"/supervisor/calls?{q}&sort=wait&dir=asc&format=csv"))]
    assert waits == ["10.0", "11.0", "12.0", "13.0", "14.0"]
    second = client.get(f"/supervisor/calls?{q}&sort=wait&dir=asc&per=2&page=2").get_data(as_text=True)
    assert re.findall(r"<td>(1390000000\d)</td>", second) == ["13900000002", "13900000003"]
    assert client.get(f"/supervisor/calls?{q}&outcome=lost").status_code == 400


def test_the_count_stops_at_the_cap(as_role, numbers, monkeypatch):
    from web import listing
    monkeypatch.setattr(listing, "COUNT_MAX", 10)
    text = as_role("reviewer").get("/centre/tickets?department=scjgj&per=5&page=9").get_data(as_text=True)
    assert 'data-total="10" data-more="1"' in text and "/ 10+" in text
    assert "第 2 / 2 页" in text  # a page past the cap shows the last counted page


def test_the_portal_and_queue_counts_stop_at_the_cap(as_role, numbers, monkeypatch):
    from web import listing
    monkeypatch.setattr(listing, "COUNT_MAX", 10)
    portal = as_role("clerk").get("/department/").get_data(as_text=True)
    assert re.search(r'id="section-accept">[^<]*<small>\(10\+\)</small>', portal)  # 57+ to accept: "10+"
    assert "全部 all 10+ →" in portal
    queue = as_role("reviewer").get("/centre/").get_data(as_text=True)
    assert "<small>(" in queue  # the queue page still renders its sizes under the cap


@pytest.mark.parametrize("id_desc", [False, True])
def test_earliest_due_per_state_is_the_single_query_order(db_session, numbers, id_desc):
    """The portal's and queue's top rows, fetched per state and merged, are the rows one
    ORDER BY (due IS NULL, due, id) over all the states gives — empty deadlines last, ties by id."""
    from sqlalchemy import select

    from db.models import TicketState
    from web import listing
    states = list(TicketState)
    with db_session() as s:
        # a few of this module's tickets share a deadline and a few have none, so ties and empties are exercised
        mine = s.scalars(select(Ticket).where(Ticket.number.in_(numbers[:6]))).all()
        due = dt.datetime(2030, 1, 1)
        kept = [(t, t.handle_due_at) for t in mine]
        for i, t in enumerate(mine):
            t.handle_due_at = None if i < 2 else due
        s.flush()
        try:
            tie = Ticket.id.desc() if id_desc else Ticket.id
            for limit in (1, 3, 50, 10_000):
                expected = list(s.scalars(select(Ticket).where(Ticket.state.in_(states)).order_by(
                    Ticket.handle_due_at.is_(None), Ticket.handle_due_at, tie).limit(limit)))
                got = listing.earliest_due(s, select(Ticket), Ticket.state, states, Ticket.handle_due_at,
                                           Ticket.id, limit, id_desc=id_desc)
                assert [t.id for t in got] == [t.id for t in expected], limit
        finally:
            for t, value in kept:
                t.handle_due_at = value
            s.commit()


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_sort_on_a_column_that_may_be_empty_pages_empty_values_last_both_ways(as_role, db_session, numbers,
                                                                               direction):
    """Paged in two parts (rows with a deadline in order, then the empty ones): page by page, the same rows
    in the same order as one ORDER BY … NULLS LAST with ties by id, and as the CSV — across the page where
    the filled rows end, and on a page made only of empty ones."""
    from sqlalchemy import select

    from db.models import Department
    with db_session() as s:
        mine = s.scalars(select(Ticket).where(Ticket.number.in_(numbers)).order_by(Ticket.id)).all()
        kept = [(t, t.handle_due_at) for t in mine]
        for i, t in enumerate(mine[:20]):           # 12 empty, 8 sharing one deadline: ties and empties
            t.handle_due_at = None if i < 12 else dt.datetime(2030, 1, 1)
        s.commit()
        try:
            scjgj = s.scalar(select(Department.id).where(Department.code == "scjgj"))
            due = Ticket.handle_due_at.desc() if direction == "desc" else Ticket.handle_due_at.asc()
            tie = Ticket.id.desc() if direction == "desc" else Ticket.id.asc()
            expected = [t.number for t in s.scalars(select(Ticket).where(Ticket.department_id == scjgj)
                                                    .order_by(due.nulls_last(), tie))]
            client = as_role("reviewer")
            seen, page = [], 1
            while len(seen) < len(expected):
                body = client.get(f"/centre/tickets?department=scjgj&sort=due&dir={direction}&per=5&page={page}")
                assert body.status_code == 200
                rows = rows_of(body.get_data(as_text=True))
                assert rows, (page, len(seen), len(expected))
                seen += rows
                page += 1
            assert seen == expected
            assert expected[-12:] == sorted(expected[-12:], reverse=direction == "desc")  # the empties, by id
            exported = read_csv(client.get(f"/centre/tickets?department=scjgj&sort=due&dir={direction}&format=csv"))
            assert [r["number"] for r in exported] == expected
        finally:
            for t, value in kept:
                t.handle_due_at = value
            s.commit()
