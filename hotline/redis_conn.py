"""The Redis connection, with a clear message when Redis is not there, and quiet logging while it is away."""
from __future__ import annotations

import logging
import time

import redis

from hotline.config import Settings
from hotline.errors import HotlineError

TROUBLE_INTERVAL = 30.0   # seconds: a repeated failure is logged at most once per interval


def redis_client(settings: Settings, *, check: bool = False) -> redis.Redis:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5,
                                  health_check_interval=10)
    if check:
        try:
            client.ping()
        except redis.RedisError as e:
            raise HotlineError(f"Redis at {settings.redis_url} is not reachable ({e})",
                               "start it (`redis-server --daemonize yes`) or set REDIS_URL") from None
    return client


class TroubleLog:
    """One log line when something starts failing, one per ``interval`` while it goes on, one when it is over.

    Redis down means every event fails the same way; a traceback per event
    (10 KB/s) hides everything else in the log.
    """

    def __init__(self, log: logging.Logger, what: str, interval: float = TROUBLE_INTERVAL,
                 clock=time.monotonic):
        self.log, self.what, self.interval, self.clock = log, what, interval, clock
        self.failing_since: float | None = None
        self.last_logged = 0.0
        self.suppressed = 0

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        if self.failing_since is None:
            self.failing_since, self.last_logged, self.suppressed = now, now, 0
            self.log.error("%s unreachable: %s", self.what, error, exc_info=error)
        elif now - self.last_logged >= self.interval:
            self.log.error("%s still unreachable after %.0f s (%d more failures): %s", self.what,
                           now - self.failing_since, self.suppressed + 1, error)
            self.last_logged, self.suppressed = now, 0
        else:
            self.suppressed += 1

    def ok(self) -> bool:
        """Call after a success; True when this ends a failure (the caller may want to resync)."""
        if self.failing_since is None:
            return False
        self.log.warning("%s back after %.0f s", self.what, self.clock() - self.failing_since)
        self.failing_since = None
        return True

    @property
    def failing(self) -> bool:
        return self.failing_since is not None
