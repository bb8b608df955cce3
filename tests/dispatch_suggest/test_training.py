"""Training from the centre's history in the database, the stored model, and what negatives do."""
from __future__ import annotations

import datetime as dt

import pytest

from dispatch_suggest import store
from dispatch_suggest.history import Example
from dispatch_suggest.model import MIN_ACCEPTED, NotEnoughHistory, train
from dispatch_suggest.synthetic import Case, seed_names
from dispatch_suggest.training import train_from_database
from tests.dispatch_suggest.conftest import NOW

TOPICS, DEPARTMENTS, WORDS = seed_names()


def test_trained_from_real_tickets_stored_with_version_and_date_and_retrained_only_on_new_history(
        session_factory, history, tmp_path):
    history(160)
    path = store.model_path(tmp_path)
    with session_factory() as session:
        _, trained = train_from_database(session, path, now=NOW)
    assert trained and path.exists()
    stored = store.load(path)
    assert (stored.version, stored.trained_at) == (1, NOW) and stored.counts["accepted"] == 160
    assert stored.counts["negatives"] > 0
    assert stored.topic_names["urban-vending"] == "城市管理 / 占道经营"  # the topic's path from the database
    found = stored.suggest("市民反映小区旁边的饭店后厨卫生条件差, 有老鼠", None, "历下区泉城路3号")
    assert found.departments[0].code == "scjgj" and found.topics[0].code == "market-food"
    assert found.departments[0].probability > found.departments[1].probability
    assert sum(r.probability for r in stored.suggest("路灯不亮", k=100).departments) == pytest.approx(1.0)
    # same history again: nothing trained, same version (a job that runs twice)
    with session_factory() as session:
        again, trained = train_from_database(session, path, now=NOW + dt.timedelta(days=1))
    assert not trained and again.version == 1 and store.load(path).trained_at == NOW
    history(20, start=NOW - dt.timedelta(days=10), seed=8)
    with session_factory() as session:
        newer, trained = train_from_database(session, path, now=NOW + dt.timedelta(days=2))
    assert trained and newer.version == 2 and store.load(path).counts["accepted"] == 180


def test_too_little_history_says_how_much_there_is(session_factory, history, tmp_path):
    history(MIN_ACCEPTED - 5)
    with session_factory() as session, pytest.raises(NotEnoughHistory) as thin:
        train_from_database(session, store.model_path(tmp_path), now=NOW)
    assert f"only {MIN_ACCEPTED - 5} accepted" in str(thin.value) and f"at least {MIN_ACCEPTED}" in str(thin.value)
    assert not store.model_path(tmp_path).exists()


def _gas(i: int, department: str | None, returned_from: tuple[str, ...] = ()) -> Example:
    return Example(f"楼道里燃气管道漏气{'' if i % 2 else ', 担心安全'}", "历下区泉城路1号", "utilities-gas",
                   department, returned_from)


def test_returns_push_the_returning_department_down():
    """Same accepted history; the one with the fire brigade's 退单 of gas leaks ranks it lower for a gas leak."""
    base = [_gas(i, "rqjt") for i in range(20)] + [_gas(i, "xfzd") for i in range(8)] + \
        [Example(f"楼道堆放杂物堵塞消防通道{i}", None, "safety-fire", "xfzd") for i in range(20)]
    returns = [_gas(i, "rqjt", ("xfzd",)) for i in range(12)]
    plain = train(base + [Example(e.description, e.address, e.topic, e.department) for e in returns],
                  topic_names=TOPICS, department_names=DEPARTMENTS, extra_words=WORDS)
    taught = train(base + returns, topic_names=TOPICS, department_names=DEPARTMENTS, extra_words=WORDS)

    def fire_brigade(model) -> float:
        return next(r.probability for r in model.suggest("燃气管道漏气", "utilities-gas", k=10).departments
                    if r.code == "xfzd")
    assert fire_brigade(taught) < fire_brigade(plain) * 0.9
    assert taught.suggest("燃气管道漏气").departments[0].code == "rqjt"
    assert taught.counts["negatives"] == 12


def test_a_model_file_that_cannot_be_read_is_no_model(tmp_path):
    path = store.model_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    assert store.load(path) is None
    cached = store.CachedModel(path)
    assert cached.get() is None
    examples = [Case(f"饭店卫生差{i}", "market-food", "complaint", "", "", "", "scjgj").example() for i in range(20)] + \
        [Case(f"路灯不亮{i}", "urban-lighting", "help", "", "", "", "cgj").example() for i in range(20)]
    store.save(train(examples, topic_names=TOPICS, department_names=DEPARTMENTS, version=4), path)
    assert cached.get().version == 4  # the file changed: read again without a restart
