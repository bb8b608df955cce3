"""The AMI listener against the real Asterisk: events → Redis, commands → Asterisk, and recovery.

The listener runs as the real process (`hotline ami listen`), connected through
a TCP proxy the test controls, so the AMI connection can be cut (both ends
closed) or made half-open (nothing arrives any more, nothing is closed — what
a dead network path looks like; only the listener's Ping watchdog notices).
After a cut, a half-open connection or an Asterisk restart, Redis must equal
Asterisk's QueueStatus again within 5 s.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from hotline.config import PROJECT_DIR
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.commands import CommandError, send_command
from queue_logic.snapshot import today, wallboard_snapshot
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk

OWN_HOTLINE = True    # stops and restarts the PBX and cuts the AMI connection under its listener
RECOVERY_SECONDS = 5.0


class AmiProxy:
    """127.0.0.1:<port> → Asterisk's AMI. cut(): close every connection; freeze(): keep them open, forward nothing."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.frozen: set[socket.socket] = set()   # the sockets themselves: ids could be reused
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:          # Asterisk is down: refuse like it would
                client.close()
                continue
            self.pairs.append((client, upstream))
            self.connections += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if source not in self.frozen and sink not in self.frozen:
                    sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.close()
            except OSError:
                pass

    def cut(self) -> None:
        for pair in self.pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pairs = []

    def freeze(self) -> None:
        """The listener's writes are read and dropped; nothing comes back; no FIN, no RST."""
        for client, upstream in self.pairs:
            self.frozen |= {client, upstream}
        self.pairs = []

    def close(self) -> None:
        self.server.close()
        self.cut()


@pytest.fixture(scope="module")
def listener(hotline):
    proxy = AmiProxy(hotline.settings.ports.ami)
    log = open(hotline.settings.log_dir / "ami-test.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "ops.cli", "ami", "listen"], cwd=PROJECT_DIR,
                            env={**hotline.env, "HOTLINE_AMI_ADDRESS": f"127.0.0.1:{proxy.port}",
                                 "PYTHONUNBUFFERED": "1"}, stdout=log, stderr=subprocess.STDOUT)
    client, keys = redis_client(hotline.settings), Keys(hotline.settings.redis_prefix)
    try:
        wait_for(lambda: client.exists(keys.listener_heartbeat), 15, "the listener's first heartbeat")
        yield proxy, client, keys
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        proxy.close()


def asterisk_truth(hotline) -> dict:
    """QueueStatus as {interface: (queues, paused, reason)} and the waiting callers' uniqueids."""
    members: dict[str, tuple[set, bool, str]] = {}
    callers = set()
    with hotline.pbx_ami() as ami:
        for ev in ami.action_list("QueueStatus"):
            if ev["Event"] == "QueueMember":
                queues, paused, reason = members.get(ev["Location"], (set(), False, ""))
                queues.add(ev["Queue"])
                members[ev["Location"]] = (queues, paused or ev["Paused"] == "1", reason or ev["PausedReason"])
            elif ev["Event"] == "QueueEntry":
                callers.add(ev["Uniqueid"])
    return {"members": {i: (frozenset(q), p, r) for i, (q, p, r) in members.items()}, "callers": callers}


def redis_view(hotline, client, keys) -> dict:
    snap = wallboard_snapshot(client, keys, today(hotline.settings.timezone))
    members = {a["interface"]: (frozenset(q.split(":")[0] for q in a["queues"].split(",")), a["paused"] == "1",
                                a["pause_reason"])
               for a in snap["agents"] if a["queues"]}
    return {"members": members, "callers": {c["uniqueid"] for q in snap["queues"] for c in q["callers"]}}


def wait_equal(hotline, client, keys, timeout: float = RECOVERY_SECONDS) -> float:
    """Seconds until Redis equals Asterisk (fails after ``timeout``)."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        truth, view = asterisk_truth(hotline), redis_view(hotline, client, keys)
        if truth == view:
            return time.monotonic() - start
        last = (truth, view)
        time.sleep(0.1)
    raise AssertionError(f"Redis did not equal Asterisk within {timeout}s:\nasterisk {last[0]}\nredis    {last[1]}")


def test_after_start_redis_equals_asterisk(hotline, listener):
    _, client, keys = listener
    wait_equal(hotline, client, keys)
    assert len(asterisk_truth(hotline)["members"]) == 4          # the harness logged every agent in


def test_commands_reach_asterisk_and_repeating_them_is_harmless(hotline, listener):
    _, client, keys = listener
    for _ in range(2):
        assert send_command(client, keys, "pause", agent="1002", reason="training")["ok"]
    assert asterisk_truth(hotline)["members"]["PJSIP/agent1002"][1:] == (True, "training")
    send_command(client, keys, "unpause", agent="1002")
    for _ in range(2):
        send_command(client, keys, "logout", agent="1004")
    assert "PJSIP/agent1004" not in asterisk_truth(hotline)["members"]
    with pytest.raises(CommandError) as refused:
        send_command(client, keys, "pause", agent="1004")
    assert refused.value.error == "not_logged_in"
    for _ in range(2):
        assert send_command(client, keys, "login", agent="1004")["queues"] == ["english"]
    wait_equal(hotline, client, keys, 2.0)


def test_a_call_is_in_redis_within_a_second_of_its_event_and_counted_once(hotline, listener):
    _, client, keys = listener
    hotline.carrier.cli("dialplan set global SOFTPHONE_RING 3")   # the caller waits while an agent rings
    before = {q["name"]: q for q in wallboard_snapshot(client, keys, today(hotline.settings.timezone))["queues"]}
    done: dict = {}
    try:
        with hotline.pbx_ami() as ami:
            call = threading.Thread(target=lambda: done.update(hotline.call("12315", "--hangup-after", "12")))
            call.start()
            # 12315, a dual line (双号并行): its greeting, then straight to the 12345 queue, no menu
            joined = ami.wait_event(lambda m: m.get("Event") == "QueueCallerJoin", 30)
            assert joined is not None
            seen = wait_for(lambda: joined["Uniqueid"] in redis_view(hotline, client, keys)["callers"]
                            and time.time(), 2, "the waiting caller in Redis")
            assert seen - float(joined["Timestamp"]) < 1.0
            connect = ami.wait_event(lambda m: m.get("Event") == "AgentConnect", 20)
            assert connect is not None
            agent = connect["Interface"].split("agent")[-1]

            def talking():
                a = client.hgetall(keys.agent(agent))
                return a.get(b"state") == b"talking" and a.get(b"call_line") == b"12315" and time.time()
            assert wait_for(talking, 2, "the agent talking") - float(connect["Timestamp"]) < 1.0
        call.join(30)
    finally:
        hotline.carrier.cli("dialplan set global SOFTPHONE_RING 1")
    assert done["outcome"] == "answered"
    after = {q["name"]: q for q in wallboard_snapshot(client, keys, today(hotline.settings.timezone))["queues"]}
    assert after["12345"]["offered"] - before["12345"]["offered"] == 1
    assert after["12345"]["answered"] - before["12345"]["answered"] == 1
    assert after["12345"]["answered_in_sl"] - before["12345"]["answered_in_sl"] == 1
    assert after["12345"]["exited"] == before["12345"]["exited"]


def test_a_cut_connection_is_resynced(hotline, listener):
    proxy, client, keys = listener
    connections = proxy.connections
    proxy.cut()
    with hotline.pbx_ami() as ami:     # Asterisk changes while the listener is away
        ami.action("QueuePause", Interface="PJSIP/agent1003", Paused="true", Reason="meeting")
    try:
        wait_for(lambda: proxy.connections > connections, RECOVERY_SECONDS, "a new AMI connection")
        wait_equal(hotline, client, keys)
    finally:
        with hotline.pbx_ami() as ami:
            ami.action("QueuePause", Interface="PJSIP/agent1003", Paused="false")
    wait_equal(hotline, client, keys, 2.0)


def test_a_half_open_connection_is_noticed_by_the_ping_watchdog(hotline, listener):
    proxy, client, keys = listener
    connections = proxy.connections
    proxy.freeze()
    started = time.monotonic()
    with hotline.pbx_ami() as ami:
        ami.action("QueuePause", Interface="PJSIP/agent1001", Paused="true", Reason="break")
    try:
        wait_for(lambda: proxy.connections > connections, RECOVERY_SECONDS, "the watchdog reconnecting")
        wait_equal(hotline, client, keys, RECOVERY_SECONDS - (time.monotonic() - started))
    finally:
        with hotline.pbx_ami() as ami:
            ami.action("QueuePause", Interface="PJSIP/agent1001", Paused="false")
    wait_equal(hotline, client, keys, 2.0)


def test_asterisk_restart_the_listener_comes_back_and_agents_stay_logged_in(hotline, listener):
    _, client, keys = listener
    send_command(client, keys, "pause", agent="1002", reason="meeting")
    send_command(client, keys, "logout", agent="1004")
    stopped = time.time()
    hotline.pbx.stop()
    wait_for(lambda: not client.exists(keys.listener_heartbeat), RECOVERY_SECONDS, "the listener noticing")
    hotline.pbx.start()
    try:
        members = asterisk_truth(hotline)["members"]
        assert "PJSIP/agent1004" not in members                        # astdb kept the sessions as they were
        assert members["PJSIP/agent1002"][1:] == (True, "meeting")
        assert {"PJSIP/agent1001", "PJSIP/agent1003"} <= set(members)
        with hotline.pbx_ami() as ami:    # a change only the new Asterisk knows
            ami.action("QueuePause", Interface="PJSIP/agent1003", Paused="true", Reason="training")
        wait_equal(hotline, client, keys)
        # events may flow on the new connection before its resync has finished: wait for the resync itself
        wait_for(lambda: float(client.hget(keys.listener_status, "resynced_at") or 0) > stopped, RECOVERY_SECONDS,
                 "a resync after the restart")
    finally:
        with hotline.pbx_ami() as ami:
            ami.action("QueuePause", Interface="PJSIP/agent1003", Paused="false")
        hotline.carrier.cli("pjsip send register *all")               # softphones back on the new PBX
        hotline.wait_registered({"agent1001", "agent1002", "agent1003", "agent1004"})
        send_command(client, keys, "unpause", agent="1002")
        send_command(client, keys, "login", agent="1004")
