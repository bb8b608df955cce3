"""AgiChannel speaks AGI to a scripted Asterisk over a real socket; hangups reach the handler."""
from __future__ import annotations

import socket

import pytest

from agi.ivr_channel import AgiChannel
from agi.session import AgiSession, ChannelHungUp, ConnectionLost
from ivr.engine import run_menu
from ivr.menu import menus_from_data

pytestmark = pytest.mark.timeout(10)

MENUS = menus_from_data({"top": {"prompt": "menu-main", "timeout": 2.5,
                                 "options": {"1": "agent", "#": "back",
                                             "9": {"action": "language", "language": "en",
                                                   "prompt": "english-desk"}}}})
OK = "200 result=1\n"
NO_KEY = "200 result=0 endpos=16000\n"


@pytest.fixture
def asterisk():
    """(channel, replies(text), commands()) over a socket pair; replies are what Asterisk answers, in order.

    ``replies(None)`` closes Asterisk's sending side (our next read sees EOF).
    """
    ours, theirs = socket.socketpair()
    ours.settimeout(2)
    theirs.settimeout(2)
    agi = AgiSession.from_socket(ours, read_environment=False)

    def commands() -> list[str]:
        """Every command line sent so far (reads until the line is quiet)."""
        theirs.settimeout(0.2)
        data = b""
        try:
            while chunk := theirs.recv(65536):
                data += chunk
        except TimeoutError:
            pass
        return data.decode().splitlines()

    def replies(text: str | None) -> None:
        if text is None:
            theirs.shutdown(socket.SHUT_WR)
        else:
            theirs.sendall(text.encode())

    yield AgiChannel(agi), replies, commands
    agi.close()
    ours.close()
    theirs.close()


def test_a_menu_over_agi(asterisk):
    channel, replies, commands = asterisk
    replies(OK + NO_KEY + "200 result=49\n")            # set language; prompt played out; key "1"
    result = run_menu(channel, "top", menus=MENUS)
    assert (result.action, result.queue, result.path) == ("agent", "12345", "1")
    assert commands() == [
        'SET VARIABLE "CHANNEL(language)" "zh"',
        'STREAM FILE hotline/menu-main "0123456789*#" 0',
        "WAIT FOR DIGIT 2500",
    ]


def test_a_key_during_the_prompt_and_the_hash_key(asterisk):
    channel, replies, commands = asterisk
    replies(OK + "200 result=35 endpos=800\n" + "200 result=57 endpos=800\n" + OK + NO_KEY)
    result = run_menu(channel, "top", menus=MENUS)          # "#" (back at top = repeat), then "9"
    assert (result.path, result.language, result.queue) == ("#9", "en", "english")
    assert commands()[-2:] == ['SET VARIABLE "CHANNEL(language)" "en"', 'STREAM FILE hotline/english-desk "" 0']


def test_a_prompt_asterisk_cannot_play_does_not_end_the_call(asterisk):
    channel, replies, _ = asterisk
    replies(OK + "200 result=-1 endpos=0\n" + "200 result=49\n")   # file missing, then key "1"
    assert run_menu(channel, "top", menus=MENUS).path == "1"


@pytest.mark.parametrize("reply", ["HANGUP\n", "200 result=-1\n",
                                   "511 Command Not Permitted on a dead channel or intercept routine\n"])
def test_hangup_while_waiting_for_a_key_propagates(asterisk, reply):
    channel, replies, _ = asterisk
    replies(OK + NO_KEY + reply)
    with pytest.raises(ChannelHungUp):
        run_menu(channel, "top", menus=MENUS)


def test_hangup_during_the_prompt_propagates(asterisk):
    channel, replies, _ = asterisk
    replies(OK + "HANGUP\n")
    with pytest.raises(ChannelHungUp):
        run_menu(channel, "top", menus=MENUS)


def test_lost_connection_propagates(asterisk):
    channel, replies, _ = asterisk
    replies(OK)
    replies(None)                     # Asterisk's side goes away: EOF on our next read
    with pytest.raises(ConnectionLost):
        run_menu(channel, "top", menus=MENUS)


def test_long_prompts_get_a_longer_read_timeout_than_the_socket(asterisk):
    channel, replies, _ = asterisk
    seen = []
    real = channel.agi.execute

    def spy(command, *args):
        seen.append((command, channel.agi._sock.gettimeout()))
        return real(command, *args)

    channel.agi.execute = spy
    replies(NO_KEY + "200 result=0\n")
    channel.play("menu-main", "1")
    channel.wait_digit(2.5)
    assert seen == [("STREAM FILE", 300), ("WAIT FOR DIGIT", 12.5)]
    assert channel.agi._sock.gettimeout() == 2                 # restored
