"""一次一评 on the real Asterisk: the agent hangs up first, the citizen stays and keys a rating."""
from __future__ import annotations

import pytest

from db.repositories import calls as call_repo

pytestmark = pytest.mark.asterisk


@pytest.fixture
def agent_hangs_up_after_2s(hotline):
    hotline.carrier.cli("dialplan set global SOFTPHONE_TALK 2")
    yield


def _call(hotline, *extra):
    # "1" during the greeting: straight to an agent; the agent talks 2 s and hangs up
    return hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", *extra)


def test_a_rating_keyed_after_the_agent_hung_up_is_on_the_call(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--rating", "2", "--rating-delay", "5", "--hangup-after", "30")
    assert record["outcome"] == "answered"
    assert record["rating"] == 2
    # talk time ends when the agent hung up, not when the rating was over
    assert abs(record["talk_seconds"] - 2.0) < 0.7
    # the hotline hung up after its thanks, long before the citizen's 30 s
    with hotline.session_factory()() as session:
        row = call_repo.get_by_uniqueid(session, record["uniqueid"])
        assert (row.ended_at - row.rating_offered_at).total_seconds() < 25
    assert f"[{record['uniqueid']}] rating: 2" in hotline.agi_log()


def test_a_wrong_key_gets_one_retry(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--rating", "9wwwwww4", "--rating-delay", "5", "--hangup-after", "30")
    assert record["rating"] == 4


def test_no_key_means_no_rating_never_satisfied(hotline, agent_hangs_up_after_2s):
    record = _call(hotline, "--hangup-after", "40")
    assert record["outcome"] == "answered"
    assert record["rating"] is None
    with hotline.session_factory()() as session:
        row = call_repo.get_by_uniqueid(session, record["uniqueid"])
        assert row.rating_offered_at is not None and row.ended_at is not None
    assert f"[{record['uniqueid']}] rating: none" in hotline.agi_log()


def test_the_citizen_hanging_up_first_is_not_asked(hotline):
    record = _call(hotline, "--hangup-after", "3")
    assert record["outcome"] == "answered" and record["rating"] is None
    with hotline.session_factory()() as session:
        assert call_repo.get_by_uniqueid(session, record["uniqueid"]).rating_offered_at is None
