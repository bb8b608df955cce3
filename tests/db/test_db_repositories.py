"""Repository queries against the seeded demo configuration."""
from __future__ import annotations

import datetime as dt

from db.models import Call, LineMode
from db.repositories import agents, calls, departments, lines, queues


def test_find_line_by_dialed_number(session, seeded):
    assert lines.find_by_number(session, "12319").mode is LineMode.dual
    assert lines.find_by_number(session, " 110 ").mode is LineMode.emergency
    assert lines.find_by_number(session, "99999") is None


def test_calls_by_uniqueid_and_latest_by_trace_id(session):
    start = dt.datetime(2026, 11, 22, 8, 0)
    session.add_all([
        Call(uniqueid="1.1", trace_id="trace-a", arrived_at=start),
        Call(uniqueid="1.2", trace_id="trace-a", arrived_at=start + dt.timedelta(seconds=30)),
        Call(uniqueid="1.3", trace_id="trace-b", arrived_at=start + dt.timedelta(seconds=60)),
    ])
    session.commit()
    assert calls.get_by_uniqueid(session, "1.3").trace_id == "trace-b"
    assert calls.get_by_uniqueid(session, "nope") is None
    assert calls.latest_by_trace_id(session, "trace-a").uniqueid == "1.2"
    assert calls.latest_by_trace_id(session, "trace-z") is None


def test_agent_by_sip_username(session, seeded):
    agent = agents.by_sip_username(session, "agent1003")
    assert agent.number == "1003"
    assert [q.name for q in agent.queues] == ["12345", "english"]
    assert agents.by_sip_username(session, "agent9999") is None


def test_all_queues_with_members(session, seeded):
    result = queues.all_with_members(session)
    assert [q.name for q in result] == ["12345", "english", "overflow"]
    members = {q.name: sorted((m.agent.sip_username, m.penalty) for m in q.members) for q in result}
    assert members["english"] == [("agent1003", 1), ("agent1004", 0)]


def test_department_by_code(session, seeded):
    assert departments.by_code(session, "lixia").parent.code == "city"
