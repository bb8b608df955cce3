"""The citizen's rating of the call (一次一评), asked after the agent hung up.

Keys 1 very satisfied … 5 very dissatisfied. One retry on a wrong key; no key means
no rating (None), never "satisfied". The agent is gone when it is asked, so the agent
can neither skip nor key it. Which calls are asked: a share, decided from the call's
uniqueid so a retry of the same call gets the same answer.
"""
from __future__ import annotations

import zlib
from typing import Protocol

RATING_KEYS = "12345"
LABELS = {1: "very_satisfied", 2: "satisfied", 3: "basically_satisfied", 4: "dissatisfied",
          5: "very_dissatisfied"}
PROMPT_REQUEST = "rating-request"
PROMPT_RETRY = "rating-retry"
PROMPT_THANKS = "rating-thanks"
RATING_PROMPTS = (PROMPT_REQUEST, PROMPT_RETRY, PROMPT_THANKS)
WAIT_AFTER_PROMPT_S = 5.0


class Channel(Protocol):   # the same small protocol as ivr.channel.Channel
    def play(self, prompt: str, escape_digits: str = "") -> str: ...

    def wait_digit(self, timeout_s: float) -> str: ...


def is_sampled(uniqueid: str, share_percent: int) -> bool:
    """Whether this call is asked: ``share_percent`` of calls, stable per call."""
    if share_percent >= 100:
        return True
    if share_percent <= 0:
        return False
    return zlib.crc32(uniqueid.encode()) % 100 < share_percent


def ask(channel: Channel) -> int | None:
    """Play the request, read one key; a wrong key gets one retry. Returns 1..5 or None."""
    for prompt in (PROMPT_REQUEST, PROMPT_RETRY):
        key = channel.play(prompt, "0123456789*#") or channel.wait_digit(WAIT_AFTER_PROMPT_S)
        if not key:
            return None                     # silence: no rating, no second ask
        if key in RATING_KEYS:
            channel.play(PROMPT_THANKS)
            return int(key)
    return None
