"""FastAgiServer against a fake Asterisk over real TCP and a real SQLite database."""
from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asterisk.agi import AGIHangup

from agi.server import FastAgiServer
from hotline import dialplan
from hotline.errors import HotlineError
from ops.load import report

pytestmark = pytest.mark.timeout(30)


def warnings_from(caplog, logger="agi.server"):
    return [r for r in caplog.records if r.name == logger and r.levelno >= logging.WARNING]


def test_handler_reads_and_sets_channel_variables(start_server, place_call, settled):
    seen = {}

    def inbound(request):
        seen.update(script=request.script, uniqueid=request.uniqueid, caller=request.caller,
                    dialed=request.dialed_number, level=request.get_variable("CALLER_LEVEL"),
                    missing=request.get_variable("NOT_SET", "default"))
        request.set_variable("HOTLINE_ROUTE", '市民热线 "12345" \\ 队列')
        request.log.info("routed")

    server = start_server({"inbound": inbound})
    channel = place_call(server, "inbound", variables={"CALLER_LEVEL": "vip (重点)"})

    assert seen == {"script": "inbound", "uniqueid": channel.uniqueid, "caller": "13800138000",
                    "dialed": "12345", "level": "vip (重点)", "missing": "default"}
    assert channel.variables["HOTLINE_ROUTE"] == '市民热线 "12345" \\ 队列'
    assert dialplan.AGI_ERROR not in channel.variables
    assert settled(server)


def test_query_string_and_dialplan_arguments(start_server, place_call):
    seen = {}

    def survey(request):
        seen.update(script=request.script, args=request.args, argv=request.argv)

    server = start_server({"survey": survey})
    place_call(server, "/survey/?lang=zh&dept=%E4%BD%8F%E5%BB%BA&empty=", argv=("ticket-42", "", "3"))

    assert seen == {"script": "survey", "args": {"lang": "zh", "dept": "住建", "empty": ""},
                    "argv": ["ticket-42", "", "3"]}


def test_handler_log_lines_carry_the_uniqueid(start_server, place_call, caplog):
    caplog.set_level(logging.INFO)
    server = start_server({"inbound": lambda request: request.log.info("hello %s", "world")})
    channel = place_call(server)
    records = [r for r in caplog.records if r.name == "agi.handlers.inbound"]
    assert [r.getMessage() for r in records] == [f"[{channel.uniqueid}] hello world"]
    assert records[0].uniqueid == channel.uniqueid


def test_one_transaction_committed_when_the_handler_returns(start_server, place_call, insert_note, stored_notes):
    def inbound(request):
        insert_note(request.session, request.uniqueid, "first")
        request.session.flush()
        insert_note(request.session, request.uniqueid, "second")

    server = start_server({"inbound": inbound})
    channel = place_call(server)
    assert stored_notes() == [(channel.uniqueid, "first"), (channel.uniqueid, "second")]


def test_handler_error_rolls_back_and_tells_the_dialplan(start_server, place_call, insert_note, stored_notes,
                                                         caplog, settled):
    def broken(request):
        insert_note(request.session, request.uniqueid, "half done")
        request.session.flush()
        raise RuntimeError("bug in routing")

    server = start_server({"broken": broken, "inbound": lambda request: request.set_variable("OK", "1")})
    channel = place_call(server, "broken")

    assert channel.variables[dialplan.AGI_ERROR] == dialplan.AGI_ERROR_INTERNAL
    assert stored_notes() == []
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith(f"[{channel.uniqueid}] AGI handler 'broken' failed")
    assert "RuntimeError: bug in routing" in caplog.text   # the traceback is logged
    assert settled(server)
    assert place_call(server, "inbound").variables == {"OK": "1"}   # still serving


def test_unknown_script_is_reported_to_the_dialplan(start_server, place_call, caplog, settled):
    server = start_server({"inbound": lambda request: None})
    channel = place_call(server, "no-such-script?x=1")

    assert channel.variables == {dialplan.AGI_ERROR: dialplan.AGI_ERROR_UNKNOWN_SCRIPT}
    [warning] = warnings_from(caplog)
    assert channel.uniqueid in warning.getMessage() and "'no-such-script'" in warning.getMessage()
    assert settled(server)


@pytest.mark.parametrize("how", ["hangup line", "socket closed"])
def test_hangup_during_a_command_rolls_back_and_keeps_serving(how, start_server, place_call, insert_note,
                                                              stored_notes, caplog, settled):
    caplog.set_level(logging.INFO)
    raised = []

    def ivr(request):
        insert_note(request.session, request.uniqueid, "entered menu")
        try:
            request.agi.stream_file("hotline/welcome", "123")
        except AGIHangup as exc:
            raised.append(exc)
            raise
        insert_note(request.session, request.uniqueid, "after menu")

    server = start_server({"ivr": ivr, "inbound": lambda request: request.set_variable("OK", "1")})
    options = {"hangup_on": "STREAM FILE"} if how == "hangup line" else {"close_on": "STREAM FILE"}
    channel = place_call(server, "ivr", **options)
    assert settled(server)   # with "socket closed" the fake leaves before the server has noticed

    assert len(raised) == 1
    assert stored_notes() == []
    assert dialplan.AGI_ERROR not in channel.variables
    ended = [r.getMessage() for r in caplog.records if "call ended during 'ivr'" in r.getMessage()]
    assert len(ended) == 1 and ended[0].startswith(f"[{channel.uniqueid}]")
    assert place_call(server, "inbound").variables == {"OK": "1"}


def test_a_handler_may_commit_before_a_long_command(start_server, place_call, insert_note, stored_notes, settled):
    def ivr(request):
        insert_note(request.session, request.uniqueid, "reached ivr")
        request.session.commit()   # kept whatever happens next
        insert_note(request.session, request.uniqueid, "chose option")
        request.agi.stream_file("hotline/menu", "12")

    server = start_server({"ivr": ivr})
    channel = place_call(server, "ivr", hangup_on="STREAM FILE")
    assert settled(server)
    assert stored_notes() == [(channel.uniqueid, "reached ivr")]


def test_client_that_connects_and_closes_is_dropped_without_spinning(start_server, place_call, caplog, settled):
    server = start_server({"inbound": lambda request: request.set_variable("OK", "1")})
    cpu_before = time.process_time()
    socket.create_connection(server.server_address).close()

    assert settled(server)
    time.sleep(0.3)
    assert time.process_time() - cpu_before < 0.25   # a busy loop would burn the whole 0.3 s
    [warning] = warnings_from(caplog)
    assert "before sending anything" in warning.getMessage()
    assert place_call(server).variables == {"OK": "1"}


def test_silent_client_is_dropped_after_the_socket_timeout(start_server, caplog, settled):
    server = start_server({}, socket_timeout=0.2)
    with socket.create_connection(server.server_address) as sock:
        assert wait_until_closed(sock, 3.0)
    assert settled(server)
    [warning] = warnings_from(caplog)
    assert "timeout" in warning.getMessage()


def wait_until_closed(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("garbage, told", [
    ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", True),          # complete block, wrong protocol
    ("agi_request: agi://x/inbound\nagi_uniqueid 17.1\n\n", True),  # one bad line
    ("agi_request: agi://x/inbound\nagi_uniqueid: 17.1\n", False),  # EOF before the blank line
])
def test_malformed_environment_is_dropped_and_logged_once(garbage, told, start_server, fake_channel, place_call,
                                                         caplog, settled):
    server = start_server({"inbound": lambda request: request.set_variable("OK", "1")})
    channel = fake_channel(server.server_address)
    channel.send(garbage)
    if not told:
        channel.sock.shutdown(socket.SHUT_WR)
    channel.serve()

    expected = {dialplan.AGI_ERROR: dialplan.AGI_ERROR_MALFORMED} if told else {}
    assert channel.variables == expected
    assert len(warnings_from(caplog)) == 1
    assert settled(server)
    assert place_call(server).variables == {"OK": "1"}


def test_fifty_concurrent_calls_are_all_served(start_server, fake_channel, insert_note, stored_notes, settled):
    lock = threading.Lock()
    running = peak = 0

    def inbound(request):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            caller = request.get_variable("CALLER")
            time.sleep(0.2)   # a slow service call: the others must not wait for it
            insert_note(request.session, request.uniqueid, caller)
            request.set_variable("HOTLINE_ROUTE", f"queue-for-{caller}")
        finally:
            with lock:
                running -= 1

    server = start_server({"inbound": inbound}, socket_timeout=10.0)
    start = threading.Barrier(50)

    def one_call(i):
        channel = fake_channel(server.server_address, variables={"CALLER": f"c{i}"}, timeout=20.0)
        start.wait()
        return channel.send_environment().serve()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        channels = list(pool.map(one_call, range(50)))
    elapsed = time.monotonic() - started

    assert [c.variables["HOTLINE_ROUTE"] for c in channels] == [f"queue-for-c{i}" for i in range(50)]
    assert sorted(stored_notes()) == sorted((c.uniqueid, c.variables["CALLER"]) for c in channels)
    assert peak > 10 and elapsed < 5.0   # served side by side, not one after another (50 x 0.2 s = 10 s)
    assert settled(server)


def test_shutdown_cuts_calls_that_outlive_the_grace_period(start_server, fake_channel, insert_note,
                                                           stored_notes):
    entered = threading.Event()

    def ivr(request):
        insert_note(request.session, request.uniqueid, "waiting")
        entered.set()
        request.agi.stream_file("hotline/hold-music")   # the fake never answers

    server = start_server({"ivr": ivr}, socket_timeout=20.0, shutdown_grace=0.2)
    channel = fake_channel(server.server_address, "ivr").send_environment()
    assert entered.wait(3)
    started = time.monotonic()
    server.shutdown()

    assert time.monotonic() - started < 3
    assert server.active_calls == 0
    assert stored_notes() == []
    channel.close()


def test_port_in_use_is_a_hotline_error(session_factory):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(HotlineError) as info:
            FastAgiServer("127.0.0.1", port, {}, session_factory)
    assert f"port {port} is already in use" in info.value.problem
    assert "hotline status" in info.value.problem
    assert info.value.fix


def test_shutdown_without_serving_and_twice_is_harmless(session_factory):
    server = FastAgiServer("127.0.0.1", 0, {}, session_factory)
    server.shutdown()
    server.shutdown()
    with FastAgiServer("127.0.0.1", 0, {}, session_factory) as server:
        server.start_in_thread()
    assert not any(t.name == "fastagi-server" for t in threading.enumerate())


def test_the_timing_line_tells_a_threads_time_on_a_core_from_its_sleep(start_server, place_call, caplog):
    """HOTLINE_AGI_TIMING's line: wall time, Asterisk's replies, database, and the thread's own counters."""
    caplog.set_level(logging.INFO, logger="agi.server")

    def inbound(request):
        request.set_variable("HOTLINE_ROUTE", "12345")        # one reply from Asterisk
        busy_until = time.thread_time() + 0.08
        while time.thread_time() < busy_until:                # 80 ms of this thread's CPU
            pass
        time.sleep(0.2)                                      # asleep: neither on a core nor runnable

    server = start_server({"inbound": inbound}, timing=True)
    place_call(server)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("AGI timing")]
    match = report.AGI_TIMING.match(f"2026-12-01 10:00:00,001 INFO agi.server: {line}")
    assert match, line
    wall, asterisk, database, on_core, run_queue = (float(match.group(i)) for i in range(3, 8))
    assert wall >= 280 and database < 50 and asterisk < wall    # the database: an empty commit
    assert 80 <= on_core < wall - 190                        # the busy loop, not the sleep
    assert 0 <= run_queue <= wall - on_core
