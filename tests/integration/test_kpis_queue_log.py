"""On real calls through the real Asterisk, the call records, app_queue's queue_log and app_queue's own live
counters give the same KPIs."""
from __future__ import annotations

import datetime as dt

import pytest

from kpis.check import check, default_queue_log, report_text
from kpis.live import live_agreement
from kpis.period import Period
from kpis.queue_log import passages, read_queue_log
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


def wait_logged_end(hotline, uniqueids: set[str], timeout: float = 10.0) -> None:
    """Until app_queue has written the end of each call (it logs after the hangup)."""
    path = default_queue_log(hotline.settings)

    def logged() -> bool:
        found = passages(read_queue_log(path).entries) if path.exists() else {}
        return all(uid in found and found[uid].ended for uid in uniqueids)
    wait_for(logged, timeout, f"the end of calls {sorted(uniqueids)} in {path}")


def test_records_and_queue_log_agree_on_real_calls(hotline):
    """Counted from this test's start: the hotline may have carried other modules' calls today."""
    from db.session import utcnow

    today = hotline.settings.local_now().date()
    period = Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1),    # a call across midnight too
                    hotline.settings.timezone)
    with hotline.session_factory()() as session:
        before = check(session, hotline.settings, period)
    since = utcnow()
    hotline.pbx.cli("queue reset stats")        # app_queue's live counters from here (as for a fresh Asterisk)
    answered = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "4")
    for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
        hotline.set_softphone(agent, "noanswer")
    abandoned = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "8")
    assert (answered["outcome"], abandoned["outcome"]) == ("answered", "abandoned")
    wait_logged_end(hotline, {answered["uniqueid"], abandoned["uniqueid"]})

    with hotline.session_factory()() as session:
        result = check(session, hotline.settings, period)
    text = report_text(result)
    print(text)
    assert result.agree, text
    assert result.differences == [], text

    def added(side: str, figure: str) -> int:
        return getattr(result, side)[figure] - getattr(before, side)[figure]
    for side in ("records", "queue_log"):
        assert added(side, "offered") == 2, (side, text)
        assert added(side, "answered") == 1, (side, text)
        assert added(side, "short_abandoned") == 0, (side, text)    # so the two calls' answer rate is 0.5
    assert "they agree" in text
    # the same through the command an operator runs
    done = hotline.hotline_cli("kpis", "--check", "--from", str(period.first), "--to", str(period.last))
    assert done.returncode == 0 and "they agree" in done.stdout, done.stdout + done.stderr

    # the live figures: the records against app_queue's own counters, both since the reset above
    with hotline.pbx_ami() as ami:
        params = [e for e in ami.action_list("QueueStatus") if e["Event"] == "QueueParams"]
    with hotline.session_factory()() as session:
        rows = {r["queue"]: r for r in live_agreement(session, params, since=since)}
    assert all(not r["differ"] for r in rows.values()), rows
    assert rows["12345"]["asterisk"] == {"completed": 1, "abandoned": 1, "servicelevel_perf": 100.0}
