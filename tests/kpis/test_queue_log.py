"""queue_log: read app_queue's lines, compute the call figures from them, and compare with the call records.

The lines are in Asterisk 22's format (epoch|callid|queue|agent|event|data…),
member names as the project logs them in ("1001 张伟", log_membername_as_agent).
"""
from __future__ import annotations

import datetime as dt

import pytest

from db.models import Call, CallOutcome
from kpis.calls import call_counts
from kpis.check import report_text
from kpis.period import Period
from kpis.queue_log import compare, passages, queue_log_figures, read_queue_log
from kpis.settings import KpiSettings
from tests.kpis.helpers import utc

DAY = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
LEVELS, WRAPUPS = {"12345": 15, "overflow": 15}, {"12345": 15, "overflow": 15}


def t(local: str, plus: float = 0) -> str:
    at = utc(local).replace(tzinfo=dt.UTC) + dt.timedelta(seconds=plus)
    return str(int(at.timestamp()))


def lines() -> list[str]:
    return [
        f"{t('2026-03-02 09:59')}|NONE|12345|1001 张伟|ADDMEMBER|",
        # answered after 10 s, talked 100 s
        f"{t('2026-03-02 10:00')}|ql-1.1|12345||ENTERQUEUE||13800000001|1",
        f"{t('2026-03-02 10:00', 10)}|ql-1.1|12345|1001 张伟|CONNECT|10|ql-1.2|9",
        f"{t('2026-03-02 10:00', 110)}|ql-1.1|12345|1001 张伟|COMPLETECALLER|10|100|1",
        # abandoned after 30 s
        f"{t('2026-03-02 10:10')}|ql-2.1|12345||ENTERQUEUE||13800000002|1",
        f"{t('2026-03-02 10:10', 30)}|ql-2.1|12345|NONE|ABANDON|1|1|30",
        # short abandon after 2 s
        f"{t('2026-03-02 10:20')}|ql-3.1|12345||ENTERQUEUE||13800000003|1",
        f"{t('2026-03-02 10:20', 2)}|ql-3.1|12345|NONE|ABANDON|1|1|2",
        # overflow: 12 s in 12345, timeout, then 8 s in overflow, answered by 1002 and transferred after 50 s
        f"{t('2026-03-02 11:00')}|ql-4.1|12345||ENTERQUEUE||13800000004|1",
        f"{t('2026-03-02 11:00', 12)}|ql-4.1|12345|NONE|EXITWITHTIMEOUT|1|1|12",
        f"{t('2026-03-02 11:00', 12)}|ql-4.1|overflow||ENTERQUEUE||13800000004|1",
        f"{t('2026-03-02 11:00', 20)}|ql-4.1|overflow|1002 王芳|CONNECT|8|ql-4.2|7",
        f"{t('2026-03-02 11:00', 70)}|ql-4.1|overflow|1002 王芳|BLINDTRANSFER|110|from-internal|8|50|1",
        # still waiting when the file was read: not history yet
        f"{t('2026-03-02 11:30')}|ql-5.1|12345||ENTERQUEUE||13800000005|1",
        "this is not a queue_log line",
        f"{t('2026-03-03 10:00')}|ql-6.1|12345||ENTERQUEUE||13800000006|1",   # the next day
        f"{t('2026-03-03 10:00', 3)}|ql-6.1|12345|1001 张伟|CONNECT|3|ql-6.2|2",
        f"{t('2026-03-03 10:00', 63)}|ql-6.1|12345|1001 张伟|COMPLETEAGENT|3|60|1",
    ]


def test_reading_says_which_lines_it_could_not_read(tmp_path):
    log = read_queue_log(lines())
    assert log.problems == ["line 15: 1 fields, a queue_log line has at least 5 (time|callid|queue|agent|event)"]
    with pytest.raises(FileNotFoundError, match="queue_log = yes"):
        read_queue_log(tmp_path / "queue_log")
    path = tmp_path / "queue_log"
    path.write_text("\n".join(lines()) + "\n", encoding="utf-8")
    assert len(read_queue_log(path).entries) == len(lines()) - 1


def test_one_passage_per_caller_even_across_an_overflow():
    found = passages(read_queue_log(lines()).entries)
    overflowed = found["ql-4.1"]
    assert overflowed.queues == ["12345", "overflow"] and overflowed.queue == "overflow"
    assert (overflowed.outcome, overflowed.wait, overflowed.talk, overflowed.agent) == ("answered", 20, 50, "1002")
    assert found["ql-5.1"].outcome == "waiting" and not found["ql-5.1"].ended
    assert (found["ql-2.1"].outcome, found["ql-2.1"].wait) == ("abandoned", 30)


def test_the_figures_from_queue_log_by_hand():
    [f] = queue_log_figures(read_queue_log(lines()), DAY, (), KpiSettings(), LEVELS, WRAPUPS).values()
    assert f["offered"]["value"] == 4 and f["answered"]["value"] == 2
    assert (f["answer_rate"]["numerator"], f["answer_rate"]["denominator"]) == (2, 3)
    assert (f["sl_rate"]["numerator"], f["sl_rate"]["denominator"]) == (1, 2)    # 10 s yes, 20 s no
    assert f["short_abandoned"]["value"] == 1 and f["abandon_rate"]["numerator"] == 1
    assert f["average_wait"]["numerator"] == 10 + 30 + 2 + 20 and f["longest_wait"]["value"] == 30
    assert f["average_handling_time"]["numerator"] == 100 + 50 + 2 * 15
    by_queue = queue_log_figures(read_queue_log(lines()), DAY, ("queue",), KpiSettings(), LEVELS, WRAPUPS)
    assert by_queue[("overflow",)]["offered"]["value"] == 1 and by_queue[("12345",)]["offered"]["value"] == 3
    with pytest.raises(ValueError, match="queue_log has no line"):
        queue_log_figures(read_queue_log(lines()), DAY, ("line",), KpiSettings(), LEVELS, WRAPUPS)


def test_records_and_queue_log_agree_and_every_difference_says_why(session, add_call):
    rated = add_call("2026-03-02 10:00", wait=10.2, talk=99.8)
    rated.uniqueid, rated.rating = "ql-1.1", 1    # 一次一评: queue_log has no ratings, so they are not compared
    add_call("2026-03-02 10:10", wait=30.4).uniqueid = "ql-2.1"
    add_call("2026-03-02 10:20", wait=2.3).uniqueid = "ql-3.1"
    add_call("2026-03-02 11:00", wait=20.1, talk=50.2, queue="overflow", agent="1002").uniqueid = "ql-4.1"
    add_call("2026-03-02 11:30", wait=5, ended=False).uniqueid = "ql-5.1"
    session.flush()
    result = compare(session, read_queue_log(lines()), DAY)
    assert result.agree, (result.figures_differ, result.records, result.queue_log)
    assert result.differences == [] and result.problems
    assert result.records["answer_rate"] == result.queue_log["answer_rate"] == 0.6667

    # a lost record, a call app_queue never saw, and a wait just over the service level on one side only
    session.delete(session.query(Call).filter_by(uniqueid="ql-2.1").one())
    add_call("2026-03-02 12:00", wait=4).uniqueid = "no-ql.1"
    session.flush()
    result = compare(session, read_queue_log(lines()), DAY)
    kinds = {d.uniqueid: d.kind for d in result.differences}
    assert kinds == {"ql-2.1": "missing_record", "no-ql.1": "missing_in_queue_log"}
    assert not result.agree and "offered" not in result.figures_differ   # 4 offered on both sides, other calls
    assert "abandon_rate" in result.figures_differ
    assert all(d.why for d in result.differences)
    text = report_text(result)
    assert "they DIFFER" in text and "ql-2.1: missing_record" in text and "放弃率 abandon_rate" in text


def test_a_virtual_hold_placeholder_is_a_place_not_a_call(session, add_call):
    """回拨: the placeholder's passage (ENTERQUEUE URL virtual_hold:<id>) is left out of the queue_log figures and
    the comparison, as the citizen's own call (outcome virtual_hold, never queued) is left out of offered and
    abandoned: both sides still agree."""
    add_call("2026-03-02 10:00", wait=10.2, talk=99.8).uniqueid = "ql-1.1"
    add_call("2026-03-02 10:10", wait=30.4).uniqueid = "ql-2.1"
    add_call("2026-03-02 10:20", wait=2.3).uniqueid = "ql-3.1"
    add_call("2026-03-02 11:00", wait=20.1, talk=50.2, queue="overflow", agent="1002").uniqueid = "ql-4.1"
    kept = add_call(None, arrived="2026-03-02 10:30", outcome=CallOutcome.virtual_hold)
    session.flush()
    placeholder = [
        f"{t('2026-03-02 10:31')}|vh-7.2|12345||ENTERQUEUE|virtual_hold:7|13800000009|2",
        f"{t('2026-03-02 10:31', 40)}|vh-7.2|12345|1001 张伟|CONNECT|40|vh-7.3|1",
        f"{t('2026-03-02 10:31', 100)}|vh-7.2|12345|1001 张伟|COMPLETEAGENT|40|60|2",
        f"{t('2026-03-02 10:40')}|vh-8.2|12345||ENTERQUEUE|virtual_hold:8|13800000008|1",
        f"{t('2026-03-02 10:40', 5)}|vh-8.2|12345|NONE|ABANDON|1|1|5",
    ]
    log = read_queue_log(lines() + placeholder)
    assert passages(log.entries)["vh-7.2"].virtual_hold and not passages(log.entries)["ql-1.1"].virtual_hold
    result = compare(session, log, DAY)
    assert result.agree, (result.figures_differ, result.records, result.queue_log)
    assert result.differences == []
    assert result.queue_log["offered"] == result.records["offered"] == 4
    assert result.records["abandon_rate"] == result.queue_log["abandon_rate"]
    [counts] = call_counts(session, DAY, (), {}, KpiSettings())
    assert counts["received"] >= 5 and counts["abandoned"] == 2       # the kept call is received, never abandoned
    assert kept.outcome == CallOutcome.virtual_hold
