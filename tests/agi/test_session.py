"""AgiSession over a connected socket pair: environment parsing, replies, hangups, quoting."""
from __future__ import annotations

import logging
import signal
import socket
import struct
import threading
import time

import pytest
from asterisk.agi import AGIHangup, AGIInvalidCommand, AGIResultHangup, AGIUsageError

from agi.session import AgiSession, ChannelHungUp, ConnectionLost, MalformedEnvironment

pytestmark = pytest.mark.timeout(10)

ENV = (
    "agi_network: yes\n"
    "agi_network_script: inbound?x=1\n"
    "agi_request: agi://127.0.0.1:4573/inbound?x=1\n"
    "agi_uniqueid: 1700000000.7\n"
    "agi_callerid: 13800138000\n"
    "agi_calleridname: 张三\n"
    "agi_accountcode: \n"
    "agi_arg_1: a: b\n"
    "\n"
)


@pytest.fixture
def pair():
    """(server_side, asterisk_side) connected sockets; the Asterisk side is a plain socket."""
    server_side, asterisk_side = socket.socketpair()
    server_side.settimeout(2)
    asterisk_side.settimeout(2)
    yield server_side, asterisk_side
    server_side.close()
    asterisk_side.close()


def session_with(pair, text: str, **kwargs) -> AgiSession:
    server_side, asterisk_side = pair
    asterisk_side.sendall(text.encode())
    return AgiSession.from_socket(server_side, **kwargs)


def received(pair) -> str:
    return pair[1].recv(4096).decode()


def test_environment_is_parsed_exactly(pair):
    agi = session_with(pair, ENV)
    assert agi.env == {
        "agi_network": "yes",
        "agi_network_script": "inbound?x=1",
        "agi_request": "agi://127.0.0.1:4573/inbound?x=1",
        "agi_uniqueid": "1700000000.7",
        "agi_callerid": "13800138000",
        "agi_calleridname": "张三",
        "agi_accountcode": "",
        "agi_arg_1": "a: b",
    }


def test_works_in_a_thread_without_touching_sighup(pair):
    before = signal.getsignal(signal.SIGHUP)
    result = []
    thread = threading.Thread(target=lambda: result.append(session_with(pair, ENV)))
    thread.start()
    thread.join()
    assert result and result[0].env["agi_uniqueid"] == "1700000000.7"
    assert signal.getsignal(signal.SIGHUP) is before


@pytest.mark.parametrize("text, reason, in_sync", [
    ("", "before sending anything", False),
    ("agi_request: x\n", "in the middle of", False),
    ("agi_request: x\nnot a header\nagi_uniqueid: 1\n\n", "not an 'agi_key: value' line: 'not a header'", True),
    ("request: x\n\n", "not an 'agi_key: value' line", True),
])
def test_malformed_environment(pair, text, reason, in_sync):
    pair[1].sendall(text.encode())
    pair[1].shutdown(socket.SHUT_WR)
    with pytest.raises(MalformedEnvironment) as info:
        AgiSession.from_socket(pair[0])
    assert reason in str(info.value)
    assert info.value.in_sync is in_sync
    assert not isinstance(info.value, AGIHangup)


def test_overlong_environment_line(pair):
    pair[1].sendall(b"agi_request: " + b"x" * 10000 + b"\n\n")
    with pytest.raises(MalformedEnvironment, match="longer than"):
        AgiSession.from_socket(pair[0])


def test_debug_output_goes_to_the_logger_not_stderr(pair, capfd, caplog):
    caplog.set_level(logging.DEBUG, logger="agi.session")
    agi = session_with(pair, ENV)
    pair[1].sendall(b"200 result=1\n")
    agi.set_variable("X", "1")
    assert received(pair) == 'SET VARIABLE "X" "1"\n'
    assert capfd.readouterr().err == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "agi.session"]
    assert 'COMMAND: SET VARIABLE "X" "1"' in messages and "RESULT_LINE: 200 result=1" in messages


def test_variables_round_trip_with_quotes_and_chinese(pair):
    agi = session_with(pair, ENV)
    pair[1].sendall("200 result=1\n200 result=1 (hangup)\n200 result=0\n200 result=1 ()\n".encode())
    agi.set_variable("ROUTE", '住建 "A" \\ B')
    assert agi.get_variable("LAST_WORD") == "hangup"   # a value, not a hangup (pyst2 treats it as one)
    assert agi.get_variable_or_none("UNSET") is None
    assert agi.get_variable_or_none("EMPTY") == ""
    assert received(pair).split("\n")[0] == 'SET VARIABLE "ROUTE" "住建 \\"A\\" \\\\ B"'


def test_line_breaks_in_arguments_are_refused(pair):
    agi = session_with(pair, ENV)
    with pytest.raises(ValueError, match="line breaks"):
        agi.set_variable("X", "a\nANSWER")


def test_hangup_line_raises_and_later_commands_do_not_reach_asterisk(pair):
    agi = session_with(pair, ENV)
    pair[1].sendall(b"HANGUP\n200 result=-1 endpos=0\n")
    with pytest.raises(ChannelHungUp):
        agi.stream_file("hotline/welcome")
    received(pair)
    with pytest.raises(ChannelHungUp):
        agi.set_variable("X", "1")
    pair[1].setblocking(False)
    with pytest.raises(BlockingIOError):   # nothing was sent
        pair[1].recv(100)


def test_dead_channel_reply_is_a_hangup(pair):
    agi = session_with(pair, ENV)
    pair[1].sendall(b"511 Command Not Permitted on a dead channel or intercept routine\n")
    with pytest.raises(AGIHangup):
        agi.answer()


def test_record_file_hangup_result(pair):
    agi = session_with(pair, ENV)
    pair[1].sendall(b"200 result=-1 (hangup) endpos=1234\n")
    with pytest.raises(AGIResultHangup):
        agi.record_file("/tmp/x", "wav")


def test_eof_during_a_command_is_a_hangup(pair):
    agi = session_with(pair, ENV)
    pair[1].shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionLost):
        agi.answer()


def test_silence_past_the_timeout_is_a_hangup(pair):
    agi = session_with(pair, ENV)
    pair[0].settimeout(0.05)
    with pytest.raises(ConnectionLost, match="timed out"):
        agi.answer()


def test_timeout_can_be_widened_around_a_long_command(pair):
    agi = session_with(pair, ENV)
    pair[0].settimeout(0.05)
    threading.Timer(0.3, lambda: pair[1].sendall(b"200 result=0\n")).start()
    with agi.timeout(5):
        agi.answer()
    assert pair[0].gettimeout() == 0.05


def test_connection_reset_is_a_hangup():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        asterisk_side = socket.create_connection(listener.getsockname())
        server_side, _ = listener.accept()
        with server_side:
            server_side.settimeout(2)
            asterisk_side.sendall(ENV.encode())
            agi = AgiSession.from_socket(server_side)
            asterisk_side.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            asterisk_side.close()   # linger 0: RST instead of FIN
            with pytest.raises(ConnectionLost):
                agi.answer()
                agi.answer()   # the first write may still succeed; the reset shows on read or next write


def test_protocol_errors_keep_pyst2_exceptions(pair):
    agi = session_with(pair, ENV)
    pair[1].sendall(b"510 Invalid or unknown command\n"
                    b"520-Invalid command syntax.  Proper usage follows:\n"
                    b"Usage: ANSWER\n"
                    b"520 End of proper usage.\n"
                    b"200 result=0\n")
    with pytest.raises(AGIInvalidCommand):
        agi.execute("FLY")
    with pytest.raises(AGIUsageError, match="Usage: ANSWER"):
        agi.execute("ANSWER", "extra")
    agi.answer()   # still in step with the replies


def test_secret_input_keeps_the_keyed_digits_out_of_the_debug_log(caplog):
    import io

    caplog.set_level(logging.DEBUG, logger="agi.session")
    replies = io.StringIO("200 result=370102198503150021 (timeout)\n200 result=246810\n")
    agi = AgiSession(replies, io.StringIO(), read_environment=False)
    with agi.secret_input():
        assert agi.get_data("hotline/contrib-enter-id", 8000, 19) == "370102198503150021"
    assert "370102198503150021" not in caplog.text and "secret input, not logged" in caplog.text
    assert agi.get_data("hotline/contrib-enter-pin", 8000, 7) == "246810"   # outside: logged as before
    assert "246810" in caplog.text


def test_the_time_spent_waiting_for_asterisks_replies_is_counted(pair):
    """HOTLINE_AGI_TIMING splits a decision's time: the replies' wait is Asterisk's (its channel thread)."""
    agi = session_with(pair, ENV)
    assert agi.asterisk_wait_s == 0.0            # reading the environment is not a reply

    def slow_asterisk():
        received(pair)                           # the SET VARIABLE command
        time.sleep(0.3)                          # the delay under measurement: a slow channel thread
        pair[1].sendall(b"200 result=1\n")

    answer = threading.Thread(target=slow_asterisk)
    answer.start()
    agi.set_variable("X", "1")
    answer.join(5)
    assert 0.25 <= agi.asterisk_wait_s < 2
