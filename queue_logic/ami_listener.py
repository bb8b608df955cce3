"""The one process that owns the AMI connection (panoramisk): events → live state in Redis.

- Every AMI event goes into the in-memory model (queue_logic.model); what
  changed is written to Redis in one pipeline per batch and announced on the
  ``live`` pub/sub channel (the wallboard streams it).
- After every login, on FullyBooted (app_queue is loaded only once Asterisk is
  fully booted), it resyncs with QueueStatus.
- panoramisk pings but never checks the Pong: a watchdog pings every second and
  aborts the transport when no reply comes within PONG_TIMEOUT, so a half-open
  connection is noticed within ~3 s and panoramisk reconnects.
- Other processes send commands through Redis (queue_logic.commands); the
  listener runs them (queue_logic.executor) and replies.
- Redis restarted or down: every second (with the Ping) the listener writes
  its heartbeat and ``connected`` flag, so both are right within ~1 s of Redis
  returning; a Redis that came back empty (its ``writer`` mark gone) gets the
  whole model and today's counter totals back (LiveState.restore_after_loss).
  Failures are logged once per interval (TroubleLog), not once per event.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import time
from zoneinfo import ZoneInfo

import redis
import redis.asyncio as aioredis
from panoramisk import Manager
from sqlalchemy.exc import SQLAlchemyError

from db.session import make_engine, make_session_factory
from hotline.config import Settings
from hotline.keys import Keys
from hotline.redis_conn import TroubleLog, redis_client
from queue_logic.commands import REPLY_TTL, CommandError
from queue_logic.day_counters import counters_from_calls
from queue_logic.directory import Directory, load_directory
from queue_logic.executor import CommandExecutor
from queue_logic.live_state import LiveState
from queue_logic.model import LiveModel
from queue_logic.resync import reset_from_queue_status

log = logging.getLogger("queue_logic.ami")

WATCH_INTERVAL = 1.0     # seconds between our own pings
PONG_TIMEOUT = 2.0       # no reply within this → the connection is dead: abort it, panoramisk reconnects
HEARTBEAT_TTL = 5
LOGIN_TIMEOUT = 5.0      # connected but no login reply (a hung Asterisk): abort and try again
ACTION_TIMEOUT = 5.0
FULLY_BOOTED_WAIT = 3.0  # after login, resync without FullyBooted if it has not come by then
RESYNC_TIMEOUT = 10.0


def day_function(timezone: str):
    """Timestamp → the centre's local date as YYYYMMDD ("today" of the counters)."""
    zone = ZoneInfo(timezone)
    return lambda ts: dt.datetime.fromtimestamp(ts, zone).strftime("%Y%m%d")


class AmiListener:
    def __init__(self, settings: Settings, client: redis.Redis, *, host: str = "127.0.0.1",
                 port: int | None = None, session_factory=None, directory: Directory | None = None):
        self.settings, self.r = settings, client
        self.host, self.port = host, port or settings.ports.ami
        self.keys = Keys(settings.redis_prefix)
        self.session_factory = session_factory
        self.model = LiveModel(directory or Directory(), day_function(settings.timezone))
        self.state = LiveState(client, self.keys, self.model)
        self.executor = CommandExecutor(self.model, self._send, self.resync)
        self.events = 0
        self.logged_in = False
        self.manager: Manager | None = None
        self._flush_pending = False
        self._resync_buffer: list | None = None
        self._resync_lock = asyncio.Lock()
        self._connected_at = 0.0
        self._last_event_at = 0.0
        self.resyncs = 0
        self.trouble = TroubleLog(log, "AMI listener: Redis")
        self.writer = f"{os.getpid()}-{time.time():.0f}"   # marks this listener's writes in listener_status

    def _make_manager(self) -> Manager:
        """Built inside the running loop: panoramisk binds to the loop it finds at construction."""
        username, secret = self.settings.ami_login("listener")   # its own AMI user, with an event filter
        manager = Manager(loop=asyncio.get_running_loop(), host=self.host, port=self.port,
                          username=username, secret=secret,
                          ping_delay=3600, reconnect_timeout=1,
                          on_connect=self._on_connect, on_login=self._on_login,
                          on_disconnect=self._on_disconnect)
        manager.register_event("*", self._on_event)
        return manager

    # --- panoramisk callbacks (plain functions: exceptions must not vanish) ---------------------
    def _on_connect(self, manager: Manager) -> None:
        self._connected_at = time.monotonic()

    def _on_login(self, manager: Manager) -> None:
        log.info("AMI login on %s:%s", self.host, self.port)
        self.logged_in, self._connected_at = True, 0.0
        resyncs = self.resyncs
        # FullyBooted normally follows at once; should it not come, resync anyway
        asyncio.get_running_loop().call_later(
            FULLY_BOOTED_WAIT, lambda: self.logged_in and self.resyncs == resyncs and self._spawn(self.resync()))

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        log.warning("AMI connection lost (%s); reconnecting", exc)
        self.logged_in, self._connected_at = False, 0.0
        self._status(connected=0)
        try:
            self.r.delete(self.keys.listener_heartbeat)
        except redis.RedisError as e:
            self.trouble.failed(e)

    def _on_event(self, manager: Manager, event) -> None:
        self.events += 1
        self._last_event_at = time.monotonic()
        try:
            kind = event.get("Event")
            if kind == "FullyBooted":
                self.logged_in, self._connected_at = True, 0.0
                self._spawn(self.resync())
                return
            now = float(event.get("Timestamp") or 0) or time.time()
            self.model.apply(event, now)
            if self._resync_buffer is not None:
                self._resync_buffer.append((event, now))
            elif kind == "QueueCallerJoin" and not self.model.line_of(event.get("Queue", ""), event.get("Uniqueid", "")):
                self._spawn(self._fill_lines())     # its Newchannel came before this listener did
        except Exception:
            log.exception("event %s could not be applied", event.get("Event"))
        if not self._flush_pending and self.model.changes:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self.state.flush()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: t.cancelled() or not t.exception()
                               or log.error("listener task failed", exc_info=t.exception()))
        return task

    def _status(self, **fields) -> None:
        try:
            self.r.hset(self.keys.listener_status, mapping={**fields, "since": time.time(), "writer": self.writer})
        except redis.RedisError as e:
            self.trouble.failed(e)

    def _beat(self) -> None:
        """The heartbeat other processes check before sending a command (and `hotline status`), with the
        ``connected`` flag; a Redis that lost this listener's mark (restarted empty) gets everything back."""
        try:
            lost = self.r.hget(self.keys.listener_status, "writer") != self.writer.encode()
            if lost:
                self.state.restore_after_loss()
            pipe = self.r.pipeline(transaction=False)
            pipe.set(self.keys.listener_heartbeat, int(time.time()), ex=HEARTBEAT_TTL)
            status = {"events": self.events, "writes": self.state.writes, "writer": self.writer,
                      "connected": 1 if self.logged_in else 0}
            if lost:
                status["since"] = time.time()
            pipe.hset(self.keys.listener_status, mapping=status)
            pipe.execute()
        except redis.RedisError as e:
            self.trouble.failed(e)
            return
        if self.trouble.ok() or lost:
            self.state.flush()      # the whole model now, not at the next event

    # --- AMI -------------------------------------------------------------------------------------
    async def _send(self, action: dict, *, as_list: bool = False, timeout: float = ACTION_TIMEOUT):
        if not self.logged_in or self.manager is None:
            raise CommandError("asterisk_down", "the listener is not connected to Asterisk", 503)
        return await asyncio.wait_for(self.manager.send_action(dict(action), as_list=as_list), timeout)

    async def resync(self) -> None:
        """QueueStatus → the whole model; events that arrive meanwhile are replayed on top."""
        async with self._resync_lock:
            directory = await asyncio.to_thread(self._load_directory)
            if directory is not None:
                self.model.directory = directory
                self.model.add_directory_agents()
            self._resync_buffer = []
            try:
                events = await self._send({"Action": "QueueStatus"}, as_list=True, timeout=RESYNC_TIMEOUT)
                if not isinstance(events, list):
                    log.error("QueueStatus failed: %s", events.get("Message"))
                    return
                reset_from_queue_status(self.model, [e for e in events if "Event" in e], time.time())
                for event, now in self._resync_buffer:
                    self.model.apply(event, now, count=False)
            finally:
                self._resync_buffer = None
            self.state.flush()
            self.resyncs += 1
            self._status(connected=1, resynced_at=time.time())
            self._beat()
            log.info("resynced: %d QueueStatus entries", len(events))
        await self._fill_lines()

    async def _fill_lines(self) -> None:
        """Callers found by a resync lack the number they dialed: ask their channels (the DNID)."""
        for callers in list(self.model.callers.values()):
            for caller in list(callers.values()):
                if caller.line or not caller.channel:
                    continue
                try:
                    reply = await self._send({"Action": "Getvar", "Channel": caller.channel,
                                              "Variable": "CALLERID(dnid)"})
                except Exception:
                    continue
                self.model.set_caller_line(caller.queue, caller.uniqueid, reply.get("Value") or "")
        self.state.flush()

    def _rebuild_counters(self) -> None:
        """Neither Redis nor this (new) listener has today's counters: rebuild them from the call records."""
        day = self.model.day_of(time.time())
        if self.session_factory is None or self.state.has_counters(day):
            return
        try:
            with self.session_factory() as session:
                counters = counters_from_calls(session, day, self.settings.timezone)
            written = self.state.seed_counters(day, counters)
        except (redis.RedisError, SQLAlchemyError) as e:
            log.error("today's counters could not be rebuilt from the call records: %s", e)
            return
        if written:
            log.warning("today's counters were not in Redis: %d rebuilt from the call records", written)

    def _load_directory(self) -> Directory | None:
        if self.session_factory is None:
            return None
        try:
            with self.session_factory() as session:
                return load_directory(session)
        except Exception:
            log.exception("cannot read agents and queues from the database; keeping the previous list")
            return None

    # --- loops -------------------------------------------------------------------------------------
    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            if not self.logged_in:
                if self._connected_at and time.monotonic() - self._connected_at > LOGIN_TIMEOUT:
                    log.warning("connected but not logged in after %.0fs: dropping the connection", LOGIN_TIMEOUT)
                    self._abort()
                continue
            try:
                reply = await asyncio.wait_for(self.manager.send_action({"Action": "Ping"}), PONG_TIMEOUT)
                alive = reply.get("Response") == "Success"
            except asyncio.TimeoutError:
                # events still arriving: the Pong is only queued behind them (a burst), not lost
                alive = time.monotonic() - self._last_event_at < PONG_TIMEOUT
            if alive:
                self._beat()
            else:
                log.warning("no Pong within %.0fs: dropping the AMI connection", PONG_TIMEOUT)
                self._abort()

    def _abort(self) -> None:
        self.logged_in, self._connected_at = False, 0.0
        transport = self.manager.protocol and self.manager.protocol.transport
        if transport:
            transport.abort()   # close() would wait for a peer that does not read

    async def _ticker(self) -> None:
        """Wrap-up ends and unanswered leaves: time passing changes state too."""
        while True:
            deadline = self.model.next_deadline()
            delay = 1.0 if deadline is None else min(1.0, max(0.05, deadline - time.time()))
            await asyncio.sleep(delay)
            self.model.tick(time.time())
            if self.model.changes:
                self.state.flush()

    async def _commands(self) -> None:
        r = aioredis.Redis.from_url(self.settings.redis_url)
        try:
            while True:
                try:
                    item = await r.blpop([self.keys.commands], timeout=1)
                except (redis.RedisError, OSError) as e:
                    self.trouble.failed(e)
                    await asyncio.sleep(1)
                    continue
                if item is not None:
                    self._spawn(self._run_command(r, item[1]))
        finally:
            await r.aclose()

    async def _run_command(self, r: aioredis.Redis, raw: bytes) -> None:
        try:
            command = json.loads(raw)
        except ValueError:
            log.error("dropped a command that is not JSON: %r", raw[:200])
            return
        if time.time() > float(command.get("expires_at") or 0):
            log.warning("dropped a command its sender no longer waits for: %s", command)
            return
        if not await r.set(self.keys.command_seen(str(command.get("id"))), 1, nx=True, ex=600):
            return   # this id ran already
        reply = await self.executor.execute(command)
        log.info("command %s %s → %s", command.get("action"), command.get("agent", ""),
                 "ok" if reply["ok"] else reply.get("error"))
        key = self.keys.command_reply(str(command.get("id")))
        await r.rpush(key, json.dumps(reply, ensure_ascii=False))
        await r.expire(key, REPLY_TTL)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        self._status(connected=0)
        directory = await asyncio.to_thread(self._load_directory)
        if directory is not None:
            self.model.directory = directory
            self.model.add_directory_agents()
        try:
            self.state.load_previous()
            self.state.load_counters(sorted({self.model.day_of(time.time()), self.model.day_of(time.time() - 86400)}))
        except (redis.RedisError, ValueError, TypeError):
            log.exception("previous live state unreadable; starting from QueueStatus alone")
        await asyncio.to_thread(self._rebuild_counters)
        self.manager = self._make_manager()
        try:
            await self.manager.connect()
        except OSError as e:  # panoramisk keeps retrying in the background
            log.warning("AMI not reachable yet (%s); retrying", e)
        tasks = [self._spawn(c) for c in (self._watchdog(), self._ticker(), self._commands())]
        try:
            await (stop.wait() if stop else asyncio.gather(*tasks))
        finally:
            for t in tasks:
                t.cancel()
            self.manager.close()
            self._status(connected=0)
            try:
                self.r.delete(self.keys.listener_heartbeat)
            except redis.RedisError:
                pass


def main(settings: Settings) -> None:
    """`hotline ami listen`. HOTLINE_AMI_ADDRESS=host:port points it elsewhere (tests put a proxy between)."""
    host, _, port = (os.environ.get("HOTLINE_AMI_ADDRESS") or "").partition(":")
    listener = AmiListener(settings, redis_client(settings), host=host or "127.0.0.1",   # Redis may come later
                           port=int(port) if port else None,
                           session_factory=make_session_factory(make_engine(settings.database_url)))

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await listener.run(stop)

    asyncio.run(serve())
