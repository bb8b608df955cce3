"""The Redis connection, with a clear message when Redis is not there."""
from __future__ import annotations

import redis

from hotline.config import Settings
from hotline.errors import HotlineError


def redis_client(settings: Settings, *, check: bool = False) -> redis.Redis:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
    if check:
        try:
            client.ping()
        except redis.RedisError as e:
            raise HotlineError(f"Redis at {settings.redis_url} is not reachable ({e})",
                               "start it (`redis-server --daemonize yes`) or set REDIS_URL") from None
    return client
