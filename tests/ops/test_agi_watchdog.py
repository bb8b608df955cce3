"""The FastAGI watchdog: silence twice → SIGKILL; an answer (even an error), a stop or a start → left alone."""
from __future__ import annotations

import socket
import threading

import pytest

from ops import agi_watchdog
from ops.agi_watchdog import answers, check


def running(pid=4242, age=60.0) -> dict:
    return {"statename": "RUNNING", "pid": pid, "start": 1000, "now": 1000 + age}


@pytest.fixture
def listener():
    """A TCP server on loopback whose behaviour the test sets: 'close', 'error' or 'silent'."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)                     # the loop sees ``stop`` (a close does not wake accept())
    state = {"mode": "close", "conns": []}
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            conn.recv(4096)
            if state["mode"] == "error":
                conn.sendall(b"SET VARIABLE HOTLINE_AGI_ERROR \"database down\"\n")
                conn.close()
            elif state["mode"] == "close":
                conn.close()
            else:
                state["conns"].append(conn)     # silent: keeps the connection, never answers

    thread = threading.Thread(target=serve, name="watchdog-test-listener", daemon=True)
    thread.start()
    yield server.getsockname()[1], state
    stop.set()
    thread.join(5)
    server.close()
    for conn in state["conns"]:
        conn.close()


def test_answers_tells_a_live_server_from_a_silent_one(listener):
    port, state = listener
    assert answers(port, timeout=1.0) is True
    state["mode"] = "error"
    assert answers(port, timeout=1.0) is True        # alive, its database is the trouble: not a hang
    state["mode"] = "silent"
    assert answers(port, timeout=0.3) is False


def test_nobody_listening_is_not_a_hang():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert answers(port, timeout=0.3) is True


def test_silence_twice_kills_once_and_a_single_slow_answer_does_not():
    killed = []
    replies = iter([False, False])
    assert check(lambda: running(), lambda: next(replies), killed.append, retry_after=0) == "killed"
    assert killed == [4242]
    replies = iter([False, True])
    assert check(lambda: running(), lambda: next(replies), killed.append, retry_after=0) == "ok"
    assert killed == [4242]


@pytest.mark.parametrize("info", [{"statename": "STOPPED", "pid": 0}, {"statename": "STARTING", "pid": 7},
                                  running(age=agi_watchdog.GRACE - 1)])
def test_a_stopped_starting_or_just_started_server_is_never_probed(info):
    def probe():
        raise AssertionError("probed")

    assert check(lambda: info, probe, lambda pid: None) == "skipped"
