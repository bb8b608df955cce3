"""TroubleLog: a failure that repeats is logged once, then once per interval, then once when it ends."""
from __future__ import annotations

import logging

from hotline.redis_conn import TroubleLog


def test_repeated_failures_are_logged_once_per_interval(caplog):
    clock = [0.0]
    trouble = TroubleLog(logging.getLogger("t"), "Redis", interval=30, clock=lambda: clock[0])
    with caplog.at_level(logging.INFO, logger="t"):
        for _ in range(1000):                 # 1,000 events in 10 s, all failing
            trouble.failed(ConnectionError("refused"))
            clock[0] += 0.01
        assert len(caplog.records) == 1 and caplog.records[0].exc_info
        clock[0] = 31
        trouble.failed(ConnectionError("refused"))
        assert len(caplog.records) == 2 and "1000 more failures" in caplog.records[1].getMessage()
        assert trouble.ok() and not trouble.ok()
        assert len(caplog.records) == 3 and "back after" in caplog.records[2].getMessage()
