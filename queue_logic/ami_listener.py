"""The one process that owns the AMI connection (panoramisk).

It keeps live state in Redis, resyncs with QueueStatus after every login, and
watches the connection itself: panoramisk pings but never checks the Pong, so a
half-open connection would go unnoticed. A heartbeat key with a TTL tells other
processes whether the listener sees Asterisk right now.
"""
from __future__ import annotations

import asyncio
import logging
import time

import redis
from panoramisk import Manager

from hotline.config import Settings
from queue_logic.keys import Keys
from queue_logic.live_state import LiveState

log = logging.getLogger("queue_logic.ami")

WATCH_INTERVAL = 3.0     # seconds between our own pings
PONG_TIMEOUT = 3.0       # no reply within this → the connection is dead, reconnect
HEARTBEAT_TTL = 10


class AmiListener:
    def __init__(self, settings: Settings, client: redis.Redis):
        self.settings, self.r = settings, client
        self.keys = Keys(settings.redis_prefix)
        self.state = LiveState(client, self.keys)
        self.events = 0
        self.logged_in = False
        self.manager: Manager | None = None

    def _make_manager(self) -> Manager:
        """Built inside the running loop: panoramisk binds to the loop it finds at construction."""
        manager = Manager(loop=asyncio.get_running_loop(), host="127.0.0.1", port=self.settings.ports.ami,
                          username="hotline", secret=self.settings.secrets["ami_secret"],
                          ping_delay=3600, reconnect_timeout=1,
                          on_login=self._on_login, on_disconnect=self._on_disconnect)
        manager.register_event("*", self._on_event)
        return manager

    # --- panoramisk callbacks (plain functions: exceptions must not vanish) ---
    def _on_login(self, manager: Manager) -> None:
        log.info("AMI login on 127.0.0.1:%s", self.settings.ports.ami)
        self.logged_in = True
        self._spawn(self._resync())

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        log.warning("AMI connection lost (%s); reconnecting", exc)
        self.logged_in = False
        self.r.delete(self.keys.listener_heartbeat)
        self.r.hset(self.keys.listener_status, mapping={"connected": 0, "since": time.time()})

    def _on_event(self, manager: Manager, event) -> None:
        self.events += 1
        try:
            self.state.apply(dict(event))
        except redis.RedisError:
            log.exception("Redis write failed for %s", event.get("Event"))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: t.cancelled() or not t.exception()
                               or log.error("listener task failed", exc_info=t.exception()))

    # --- work ---------------------------------------------------------------
    async def _resync(self) -> None:
        events = await self.manager.send_action({"Action": "QueueStatus"}, as_list=True)
        self.state.reset_from_queue_status([dict(e) for e in events if "Event" in e])
        self.r.hset(self.keys.listener_status, mapping={"connected": 1, "since": time.time()})
        log.info("resynced %d QueueStatus entries", len(events))

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if not self.logged_in:
                continue
            try:
                reply = await asyncio.wait_for(self.manager.send_action({"Action": "Ping"}), PONG_TIMEOUT)
                alive = reply.get("Response") == "Success"
            except asyncio.TimeoutError:
                alive = False
            if alive:
                self.r.set(self.keys.listener_heartbeat, int(time.time()), ex=HEARTBEAT_TTL)
                self.r.hset(self.keys.listener_status, mapping={"events": self.events})
            else:
                log.warning("no Pong within %.0fs: dropping the AMI connection", PONG_TIMEOUT)
                self.logged_in = False
                if self.manager.protocol and self.manager.protocol.transport:
                    self.manager.protocol.transport.close()

    async def run(self) -> None:
        self.r.hset(self.keys.listener_status, mapping={"connected": 0, "since": time.time()})
        self.manager = self._make_manager()
        try:
            await self.manager.connect()
        except OSError as e:  # panoramisk keeps retrying in the background
            log.warning("AMI not reachable yet (%s); retrying", e)
        await self._watchdog()


def main(settings: Settings) -> None:
    from hotline.redis_conn import redis_client

    listener = AmiListener(settings, redis_client(settings, check=True))
    asyncio.run(listener.run())
