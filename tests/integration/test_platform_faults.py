"""Faults of the platform on the real Asterisk: a service killed with -9, Redis restarted empty.

This module's hotline runs on a Redis of its own (never the machine's shared one),
which the tests kill and start again without persistence: every key is lost, as
with a Redis restarted at night. The services run under supervisord, started by
the real `hotline up`.
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from hotline.keys import Keys
from ops import services
from queue_logic.snapshot import today, wallboard_snapshot
from tests.support.cpu import may_enter_realtime
from tests.support.redis_server import RedisServer
from tests.support.telephony import start_hotline, stop_hotline
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

PYTHON_SERVICES = ("agi", "ami", "worker", "cron", "department", "web")
BACK_WITHIN = 5.0
OWN_HOTLINE = True    # a Redis of its own, killed and restarted empty; services killed with -9; `hotline down`


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("own-redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hotline(tmp_path_factory, own_redis, shared_hotline):
    shared_hotline.release()            # the session's shared hotline has the same ports
    system = start_hotline(tmp_path_factory.mktemp("hotline-run"), redis_url=own_redis.url)
    up = system.hotline_cli("up", timeout=180)
    if up.returncode != 0:       # never leave its Asterisks holding the ports the next module starts on
        stop_hotline(system)
        pytest.fail(f"hotline up failed: {up.stdout}{up.stderr}")
    yield system
    stop_hotline(system)


def status_rows(hotline) -> dict[str, tuple[bool, str]]:
    done = hotline.hotline_cli("status")
    rows = {}
    for line in done.stdout.splitlines():
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        rows[name] = (rest.startswith("running"), rest)
    return rows


def pid_in_status(hotline, name: str) -> int | None:
    ok, detail = status_rows(hotline).get(name, (False, ""))
    if not ok or "pid " not in detail:
        return None
    return int(detail.split("pid ", 1)[1].split(",", 1)[0])


def test_hotline_up_runs_every_service_under_supervisord(hotline):
    rows = status_rows(hotline)
    for name in ("supervisord", *PYTHON_SERVICES, "redis", "database", "asterisk-pbx"):
        assert rows[name][0], (name, rows)
    conf = hotline.settings.run_dir / "supervisor" / "supervisord.conf"
    assert conf.stat().st_mode & 0o777 == 0o600
    # the call path first: screens and jobs run below the FastAGI server's CPU priority (supervisord has ours)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    niceness = {svc.name: os.getpriority(os.PRIO_PROCESS, services.pid_of(hotline.settings, svc.name)) - mine
                for svc in services.python_services(hotline.settings)}
    assert niceness["agi"] == niceness["ami"] == 0, niceness
    assert niceness["web"] == services.SCREENS_NICE > 0 and niceness["worker"] == niceness["cron"] == services.JOBS_NICE
    # and the FastAGI server in the real-time class, every thread of it (ops/cpu_class.py); the rest normal
    agi = services.pid_of(hotline.settings, "agi")
    threads = [int(t) for t in os.listdir(f"/proc/{agi}/task")]
    if may_enter_realtime():
        assert len(threads) > 1 and {os.sched_getscheduler(t) for t in threads} == {os.SCHED_RR}
        assert rows["agi"][1].endswith("real-time CPU class (SCHED_RR 1)"), rows["agi"]
    else:                # an ordinary user: the server runs on in the normal class, and says so
        assert "normal CPU class" in rows["agi"][1], rows["agi"]
    assert os.sched_getscheduler(services.pid_of(hotline.settings, "web")) == os.SCHED_OTHER


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_a_service_killed_with_sigkill_is_back_within_5_s_and_status_says_so(hotline, name):
    service = hotline.service(name)
    old = services.pid_of(hotline.settings, name)
    assert old and pid_in_status(hotline, name) == old
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()

    def back() -> int | None:
        pid = services.pid_of(hotline.settings, name)
        return pid if pid and pid != old and services._is_ready(hotline.settings, service, pid) else None

    new = wait_for(back, BACK_WITHIN, f"{name} restarted by supervisord and doing its work", interval=0.1)
    assert time.monotonic() - killed <= BACK_WITHIN
    assert pid_in_status(hotline, name) == new


def test_redis_restarted_empty_the_listener_counters_worker_and_cron_come_back(hotline, own_redis):
    settings, keys = hotline.settings, Keys(hotline.settings.redis_prefix)
    client = own_redis.client()
    wait_for(lambda: client.hget(keys.listener_status, "connected") == b"1", 10, "the listener connected")
    record = hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "3")
    assert record["outcome"] == "answered", record
    day = today(settings.timezone)

    def counters() -> dict:
        return {q["name"]: (q["offered"], q["answered"]) for q in
                wallboard_snapshot(own_redis.client(), keys, day)["queues"]}

    before = wait_for(lambda: (c := counters()).get("12345", (0, 0))[1] >= 1 and c, 10, "the answered call counted")

    own_redis.restart()                      # every key gone
    returned = time.monotonic()
    client = own_redis.client()
    wait_for(lambda: client.hget(keys.listener_status, "connected") == b"1", BACK_WITHIN,
             "the listener's connected flag true again")
    assert time.monotonic() - returned <= BACK_WITHIN
    assert client.exists(keys.listener_heartbeat)
    assert wait_for(lambda: counters() == before and counters(), BACK_WITHIN, "today's counters back") == before
    rows = wait_for(lambda: (r := status_rows(hotline))["worker"][0] and r["cron"][0] and r, 15,
                    "worker and cron registered again, per `hotline status`")
    assert rows["ami"][0] and "connected to Asterisk" in rows["ami"][1]
    # the periodic jobs run again by themselves: the cron scheduler enqueues, the worker runs
    from rq import Queue
    from rq.registry import FinishedJobRegistry

    finished = FinishedJobRegistry(keys.rq_queue, connection=client)
    wait_for(lambda: len(finished) >= 1, 40, "a periodic job run to the end after the restart", interval=0.5)
    # the cron may enqueue its next job at any moment; what matters is that the worker takes it, not that
    # the queue is empty at one instant
    wait_for(lambda: Queue(keys.rq_queue, connection=client).count == 0, 15,
             "the queue drained by the worker", interval=0.2)


def test_redis_down_the_listener_logs_once_per_interval_not_per_event(hotline, own_redis):
    log = hotline.settings.log_dir / "ami.log"
    size = log.stat().st_size
    own_redis.stop()
    try:
        for _ in range(3):   # events go on while Redis is down: a call reaches the queue and is answered
            hotline.call("12345", "--dtmf", "1", "--dtmf-delay", "1", "--hangup-after", "2")
    finally:
        own_redis.start()
    written = log.read_bytes()[size:].decode(errors="replace")
    errors = [line for line in written.splitlines() if " ERROR " in line]
    # one record (with its traceback) when Redis went, per part that noticed (listener, live-state writes);
    # not one per event or per retry
    assert len(errors) <= 4, errors
    assert len(written) < 20_000, len(written)
    wait_for(lambda: own_redis.client().hget(Keys(hotline.settings.redis_prefix).listener_status,
                                            "connected") == b"1", BACK_WITHIN, "connected again")


def test_redis_and_the_listener_both_restarted_counters_are_rebuilt_from_the_call_records(hotline, own_redis):
    from queue_logic.day_counters import counters_from_calls

    settings, keys = hotline.settings, Keys(hotline.settings.redis_prefix)
    day = today(settings.timezone)
    with hotline.session_factory()() as session:
        expected = counters_from_calls(session, day, settings.timezone)[("queue", "12345")]
    assert expected["answered"] >= 1
    hotline.stop_service("ami")
    own_redis.restart()                    # the listener's memory and Redis both gone
    hotline.start_service("ami")
    snap = wait_for(lambda: next((q for q in wallboard_snapshot(own_redis.client(), keys, day)["queues"]
                                  if q["name"] == "12345" and q["offered"]), None), BACK_WITHIN,
                    "today's 12345 counters back from the call records")
    assert (snap["offered"], snap["answered"], snap["abandoned"]) == (
        expected["offered"], expected["answered"], expected.get("abandoned", 0))


def test_hotline_down_stops_everything_and_status_says_so(hotline):
    done = hotline.hotline_cli("down")
    assert done.returncode == 0, done.stderr
    assert not services.supervisor_running(hotline.settings)
    rows = status_rows(hotline)
    for name in ("supervisord", *PYTHON_SERVICES):
        assert not rows[name][0], (name, rows)
    assert hotline.hotline_cli("status").returncode == 1
