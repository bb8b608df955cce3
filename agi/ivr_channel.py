"""The IVR engine's channel protocol (``ivr.channel.Channel``) over a FastAGI session.

A caller hanging up is not the engine's business: pyst2's ``AGIHangup`` family
(``ChannelHungUp``, ``ConnectionLost``) propagates to the AGI handler, which
ends the call's transaction.
"""
from __future__ import annotations

import logging

from asterisk.agi import AGIAppError, AGIHangup

from agi.session import AgiSession, ChannelHungUp

log = logging.getLogger(__name__)

PLAY_READ_TIMEOUT_S = 300   # longest prompt we expect; the socket's 30 s would cut a long announcement


class AgiChannel:
    """The protocol over a FastAGI session: STREAM FILE, WAIT FOR DIGIT, SET VARIABLE.

    STREAM FILE rather than GET DATA: GET DATA takes '#' as end of input, so
    '#' could not be a menu key.  Prompts are named without the namespace
    (``welcome``) and played as ``hotline/welcome``; Asterisk picks the file
    of the channel's language (ops/asterisk/sounds.py).
    """

    def __init__(self, agi: AgiSession, prompt_prefix: str = "hotline/"):
        self.agi = agi
        self.prompt_prefix = prompt_prefix

    def play(self, prompt: str, escape_digits: str = "") -> str:
        with self.agi.timeout(PLAY_READ_TIMEOUT_S):
            try:
                return self.agi.stream_file(self.prompt_prefix + prompt, escape_digits)
            except AGIHangup:
                raise
            except AGIAppError as exc:
                # result=-1: the file is missing (Asterisk logs which) or the channel went away;
                # a missing prompt must not cost the citizen the call, and a hangup shows on
                # the next command.
                log.warning("prompt %s%s could not be played: %s", self.prompt_prefix, prompt, exc)
                return ""

    def wait_digit(self, timeout_s: float) -> str:
        with self.agi.timeout(timeout_s + 10):
            try:
                return self.agi.wait_for_digit(int(timeout_s * 1000))
            except AGIHangup:
                raise
            except AGIAppError as exc:   # WAIT FOR DIGIT answers -1 only when the channel is gone
                raise ChannelHungUp(f"channel gone while waiting for a key: {exc}") from exc

    def set_language(self, language: str) -> None:
        self.agi.set_variable("CHANNEL(language)", language)
