"""Training examples read back from real tickets: 签收 positive, 退单 and 改派 negative, and the rest."""
from __future__ import annotations

from db.session import session_scope
from dispatch_suggest.history import _Span, load_examples, spans_of
from dispatch_suggest.synthetic import Case
from tests.dispatch_suggest.conftest import MONDAY
from tickets.intake import create_ticket
from tickets.states import Event
from tickets.workflow import Actor, transition


def case(description, topic, department, **more) -> Case:
    return Case(description, topic, "complaint", "历下区泉城路8号", "lixia", "quanchenglu", department, **more)


def by_description(session_factory) -> dict:
    with session_factory() as session:
        return {e.description: e for e in load_examples(session)}


def test_accepted_returned_and_redispatched_tickets_become_examples(session_factory, history):
    history([
        case("饭店后厨有老鼠", "market-food", "scjgj"),
        case("蛋糕店卖过期食品", "market-food", "scjgj", misrouted_to="wjw"),                 # 退单 → 改派 → 签收
        case("小区门口水果摊占道", "urban-vending", "quanchenglu", misrouted_to="cgj",
             misroute="redispatch"),                                                           # 签收 then 改派
        case("燃气管道漏气", "utilities-gas", "rqjt", accepted=False),                          # waiting for 签收
        case("夜间施工噪音", "env-noise", "sthjj", misrouted_to="cgj", accepted=False),         # returned, not yet accepted
    ])
    examples = by_description(session_factory)
    assert examples["饭店后厨有老鼠"].department == "scjgj" and examples["饭店后厨有老鼠"].not_departments == ()
    food = examples["蛋糕店卖过期食品"]
    assert (food.department, food.not_departments, food.topic) == ("scjgj", ("wjw",), "market-food")
    vending = examples["小区门口水果摊占道"]
    assert (vending.department, vending.not_departments) == ("quanchenglu", ("cgj",))
    assert vending.address == "历下区泉城路8号"
    assert (examples["燃气管道漏气"].department, examples["燃气管道漏气"].not_departments) == (None, ())
    assert (examples["夜间施工噪音"].department, examples["夜间施工噪音"].not_departments) == (None, ("cgj",))


def test_a_refused_return_is_no_negative_and_intake_and_duplicates_teach_nothing(session_factory):
    agent, reviewer = Actor("agent1001", "agent"), Actor("reviewer", "reviewer")
    with session_scope(session_factory) as session:
        from sqlalchemy import select

        from db.models import Department
        clerk = Actor("scjgj", "clerk", session.scalar(select(Department.id).where(Department.code == "scjgj")))

        def new(description, minutes):
            return create_ticket(session, {"category": "complaint", "topic": "market-price", "description": description,
                                           "caller_phone": f"1380000{minutes:04d}"}, agent,
                                 now=MONDAY.replace(minute=minutes))
        refused = new("超市商品不明码标价", 1)
        transition(session, refused, Event.dispatch, agent, params={"department": "scjgj"}, now=MONDAY.replace(minute=2))
        transition(session, refused, Event.return_to_center, clerk, reason="不归我们管", now=MONDAY.replace(minute=3))
        transition(session, refused, Event.reject_return, reviewer, reason="属于价格监管职责",
                   now=MONDAY.replace(minute=4))
        transition(session, refused, Event.accept, clerk, now=MONDAY.replace(minute=5))
        new("只受理未派单的工单", 6)
        on_call = new("咨询停车收费标准, 已当场答复", 7)
        transition(session, on_call, Event.resolve_on_call, agent, params={"reply": "已告知收费标准"},
                   now=MONDAY.replace(minute=8))
        master = new("物业乱收费", 9)
        duplicate = new("物业乱收费 再次来电", 10)
        transition(session, duplicate, Event.merge, agent, params={"into": master.number}, reason="同一事项",
                   now=MONDAY.replace(minute=11))
    examples = by_description(session_factory)
    assert (examples["超市商品不明码标价"].department, examples["超市商品不明码标价"].not_departments) == ("scjgj", ())
    assert "只受理未派单的工单" not in examples and "物业乱收费 再次来电" not in examples
    resolved = examples["咨询停车收费标准, 已当场答复"]
    assert (resolved.topic, resolved.department, resolved.not_departments) == ("market-price", None, ())


def test_spans_pair_assignments_with_the_events_that_made_them():
    spans = spans_of([("cgj", True), ("quanchenglu", True), ("quanchenglu", True)],
                     ["dispatch", "redispatch", "reopen"])
    assert [(s.department, s.ended_by, s.negative) for s in spans] == [
        ("cgj", "redispatch", True), ("quanchenglu", "reopen", False), ("quanchenglu", None, False)]
    returned = spans_of([("wjw", False)], ["dispatch", "return_to_center"])
    assert returned == [_Span("wjw", False, None, True, False)] and returned[0].negative
    # assignments written outside the workflow (fewer events than rows): only what pairs is read
    assert [s.department for s in spans_of([("a", True)], ["dispatch", "redispatch"])] == ["a"]
