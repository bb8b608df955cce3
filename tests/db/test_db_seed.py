"""Seed data: every national line of docs/domain.md §1, a department tree, queues, agents."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from db.models import Agent, Department, DepartmentKind, Line, LineMode, Queue
from db.seed import seed
from db.session import session_scope
from hotline.errors import HotlineError

# docs/domain.md §1 (国办发〔2020〕53号); 12329 and 12333 are professional lines with
# self-service (互联互通), listed there under "dual".
NATIONAL_LINES = {
    LineMode.merged: "12300 12301 12312 12318 12322 12330 12331 12336 12349 12356 12358 12365 12396 96119",
    LineMode.dual: "12315 12316 12317 12319 12320 12328 12348 12350 12369 12385 12393",
    LineMode.self_service: "12329 12333",
    LineMode.sub_centre: "12305 12313 12360 12366 12367",
    LineMode.emergency: "110 119 120 122",
}
EXPECTED_MODES = {n: mode for mode, numbers in NATIONAL_LINES.items() for n in numbers.split()}


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_seed_counts(session, seeded):
    assert seeded["lines"] == {"created": 1 + len(EXPECTED_MODES) + 3, "updated": 0}
    assert seeded["queues"] == {"created": 3, "updated": 0}
    assert seeded["agents"] == {"created": 4, "updated": 0}
    assert seeded["departments"]["created"] == count(session, Department)
    assert seeded["queue_members"]["created"] >= 5


def test_seed_twice_changes_nothing_and_keeps_secrets(engine, session_factory, seeded):
    with session_scope(session_factory) as session:
        secrets_before = dict(session.execute(select(Agent.number, Agent.sip_secret)).all())
    writes: list[str] = []

    def record_writes(_conn, _cursor, statement, *_args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", record_writes)
    try:
        with session_scope(session_factory) as session:
            again = seed(session)
    finally:
        event.remove(engine, "before_cursor_execute", record_writes)
    assert all(c == {"created": 0, "updated": 0} for c in again.values()), again
    assert writes == []
    with session_scope(session_factory) as session:
        secrets_after = dict(session.execute(select(Agent.number, Agent.sip_secret)).all())
    assert secrets_after == secrets_before
    assert len(set(secrets_after.values())) == 4 and all(len(s) >= 20 for s in secrets_after.values())


def test_seed_restores_an_edited_field_and_counts_it(session_factory, seeded):
    with session_scope(session_factory) as session:
        session.scalar(select(Line).where(Line.number == "12315")).mode = LineMode.merged
    with session_scope(session_factory) as session:
        assert seed(session)["lines"] == {"created": 0, "updated": 1}
        assert session.scalar(select(Line.mode).where(Line.number == "12315")) is LineMode.dual


def test_every_national_line_has_its_mode_and_a_bureau(session, seeded):
    lines = {line.number: line for line in session.scalars(select(Line))}
    for number, mode in EXPECTED_MODES.items():
        line = lines.get(number)
        assert line is not None, f"{number} missing"
        assert line.mode is mode, number
        assert line.department is not None and line.department.kind is DepartmentKind.bureau, number
        assert line.department.parent.code == "city"


def test_line_settings_by_mode(session, seeded):
    lines = list(session.scalars(select(Line)))
    main = [line for line in lines if line.mode is LineMode.main]
    assert [(m.number, m.queue_name, m.department.code) for m in main] == [("12345", "12345", "hotline")]
    for line in lines:
        if line.mode is LineMode.merged:
            assert line.notice_until is not None and line.notice_until.year == 2027, line.number
        if line.mode is LineMode.sub_centre:
            assert line.transfer_target == f"PJSIP/{line.number}@carrier"   # the department's own centre
        if line.mode is LineMode.emergency:
            assert line.transfer_target == f"PJSIP/{line.number}@carrier"
        if line.mode is LineMode.self_service:
            assert line.self_service_url and line.ivr_menu
    by_number = {line.number: line for line in lines}
    assert by_number["12315"].department.code == by_number["12365"].department.code == "scjgj"
    assert by_number["12366"].department.name == "国家税务总局济南市税务局"


def test_local_bureau_numbers(session, seeded):
    local = [line for line in session.scalars(select(Line)) if len(line.number) == 8]
    assert sorted(line.mode for line in local) == ["dual", "dual", "merged"]
    assert any(line.business_hours for line in local)
    assert all(line.number.isdigit() and line.department for line in local)


def test_department_tree(session, seeded):
    city = session.scalar(select(Department).where(Department.parent_id.is_(None)))
    assert city.kind is DepartmentKind.city and city.name == "济南市"
    roots = session.scalar(select(func.count()).where(Department.parent_id.is_(None)))
    assert roots == 1
    districts = [d for d in city.children if d.kind is DepartmentKind.district]
    assert len(districts) == 2
    for district in districts:
        streets = district.children
        assert len(streets) == 2 and all(s.kind is DepartmentKind.street for s in streets)
        for street in streets:
            assert street.children and all(v.kind is DepartmentKind.village for v in street.children)
    bureaus = [d for d in city.children if d.kind is DepartmentKind.bureau]
    assert {"hotline", "scjgj", "cgj", "rsj", "gjj", "swj", "gaj", "xfzd", "jjzx"} <= {
        b.code for b in bureaus}
    assert all(not b.children for b in bureaus)


def test_queues_and_agents(session, seeded):
    queues = {q.name: q for q in session.scalars(select(Queue))}
    assert set(queues) == {"12345", "english", "overflow"}
    assert (queues["12345"].language, queues["english"].language) == ("zh", "en")
    assert queues["12345"].overflow_queue is queues["overflow"]
    assert queues["12345"].service_level_seconds == 15
    assert [a.number for a in queues["12345"].agents] == ["1001", "1002", "1003"]
    assert [a.number for a in queues["english"].agents] == ["1003", "1004"]
    agents = {a.number: a for a in session.scalars(select(Agent))}
    assert [agents[n].languages for n in ("1001", "1002", "1003", "1004")] == ["zh", "zh", "zh,en", "en,zh"]
    assert agents["1004"].sip_username == "agent1004"


def test_seed_data_errors_name_the_file_problem(session, tmp_path):
    for name in ("departments", "queues", "agents"):
        (tmp_path / f"{name}.yaml").write_text("[]")
    (tmp_path / "lines.yaml").write_text('- {number: "12399", name: x, mode: dual, department: nowhere}')
    with pytest.raises(HotlineError) as caught:
        seed(session, tmp_path)
    assert "nowhere" in caught.value.problem
    (tmp_path / "lines.yaml").write_text('- {number: "12399", name: x, mode: dual, colour: red}')
    session.rollback()
    with pytest.raises(HotlineError, match="colour"):
        seed(session, tmp_path)


def test_notice_dates_are_dates(session, seeded):
    line = session.scalar(select(Line).where(Line.number == "12331"))
    assert isinstance(line.notice_until, dt.date)
