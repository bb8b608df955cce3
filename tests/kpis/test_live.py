"""Live figures: the call records against app_queue's QueueParams counters (as QueueStatus returns them)."""
from __future__ import annotations

from kpis.live import live_agreement
from tests.kpis.helpers import utc


def params(queue, completed, abandoned, perf):
    return {"Event": "QueueParams", "Queue": queue, "Completed": str(completed), "Abandoned": str(abandoned),
            "ServicelevelPerf": f"{perf:.1f}", "Holdtime": "7", "TalkTime": "120"}


def test_counters_agree_and_a_difference_is_named(session, add_call):
    add_call("2026-03-02 10:00", wait=10, talk=100)
    add_call("2026-03-02 10:01", wait=20, talk=100)
    add_call("2026-03-02 10:02", wait=3)                       # abandoned, short ones included as app_queue does
    add_call("2026-03-02 10:03", wait=3, talk=60, ended=False)  # still talking: not completed yet
    add_call("2026-03-02 10:04", wait=30, queue="overflow")
    since = utc("2026-03-02 00:00")
    rows = {r["queue"]: r for r in live_agreement(session, [params("12345", 2, 1, 50.0),
                                                            params("overflow", 0, 1, 0.0)], since)}
    assert rows["12345"]["records"] == {"completed": 2, "abandoned": 1, "servicelevel_perf": 50.0}
    assert not rows["12345"]["differ"] and not rows["overflow"]["differ"]
    [row] = live_agreement(session, [params("12345", 3, 1, 66.7)], since)
    assert row["differ"] == ["completed", "servicelevel_perf"]
