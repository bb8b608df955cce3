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
# the whole day's records against the whole queue_log, and app_queue's counters since Asterisk started: other
# modules' calls would be in them (callbacks put through a queue leave no call record; queue_log has no ratings)
OWN_HOTLINE = True


def wait_logged_end(hotline, uniqueids: set[str], timeout: float = 10.0) -> None:
    """Until app_queue has written the end of each call (it logs after the hangup)."""
    path = default_queue_log(hotline.settings)

    def logged() -> bool:
        found = passages(read_queue_log(path).entries) if path.exists() else {}
        return all(uid in found and found[uid].ended for uid in uniqueids)
    wait_for(logged, timeout, f"the end of calls {sorted(uniqueids)} in {path}")


def test_records_and_queue_log_agree_on_real_calls(hotline):
    answered = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "4")
    for agent in ("agent1001", "agent1002", "agent1003", "agent1004"):
        hotline.set_softphone(agent, "noanswer")
    abandoned = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "8")
    assert (answered["outcome"], abandoned["outcome"]) == ("answered", "abandoned")
    wait_logged_end(hotline, {answered["uniqueid"], abandoned["uniqueid"]})

    today = hotline.settings.local_now().date()
    period = Period(today - dt.timedelta(days=1), today, hotline.settings.timezone)   # a call across midnight too
    with hotline.session_factory()() as session:
        result = check(session, hotline.settings, period)
    text = report_text(result)
    print(text)
    assert result.agree, text
    assert result.differences == [], text
    assert result.records["offered"] == result.queue_log["offered"] == 2
    assert result.records["answer_rate"] == result.queue_log["answer_rate"] == 0.5, text
    assert "they agree" in text
    # the same through the command an operator runs
    done = hotline.hotline_cli("kpis", "--check", "--from", str(period.first), "--to", str(period.last))
    assert done.returncode == 0 and "they agree" in done.stdout, done.stdout + done.stderr

    # the live figures: the records against app_queue's own counters (Asterisk started with this module)
    with hotline.pbx_ami() as ami:
        params = [e for e in ami.action_list("QueueStatus") if e["Event"] == "QueueParams"]
    with hotline.session_factory()() as session:
        rows = {r["queue"]: r for r in live_agreement(session, params)}
    assert all(not r["differ"] for r in rows.values()), rows
    assert rows["12345"]["asterisk"] == {"completed": 1, "abandoned": 1, "servicelevel_perf": 100.0}
