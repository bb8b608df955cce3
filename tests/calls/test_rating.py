"""一次一评's survey with a scripted citizen: one retry on a wrong key, silence is no rating."""
from __future__ import annotations

import pytest

from calls.rating import PROMPT_REQUEST, PROMPT_RETRY, PROMPT_THANKS, ask, is_sampled


class ScriptedCitizen:
    """Presses the keys given, one per prompt-and-wait; "" = stays silent."""

    def __init__(self, *keys: str):
        self.keys = list(keys)
        self.played: list[str] = []

    def play(self, prompt: str, escape_digits: str = "") -> str:
        self.played.append(prompt)
        return self.keys.pop(0) if escape_digits and self.keys else ""

    def wait_digit(self, timeout_s: float) -> str:
        return ""


@pytest.mark.parametrize("keys, rating, played", [
    (("1",), 1, [PROMPT_REQUEST, PROMPT_THANKS]),
    (("5",), 5, [PROMPT_REQUEST, PROMPT_THANKS]),
    (("9", "2"), 2, [PROMPT_REQUEST, PROMPT_RETRY, PROMPT_THANKS]),
    (("#", "0"), None, [PROMPT_REQUEST, PROMPT_RETRY]),      # two wrong keys: no rating
    (("",), None, [PROMPT_REQUEST]),                        # silence: no rating, never "satisfied"
    (("7", ""), None, [PROMPT_REQUEST, PROMPT_RETRY]),
])
def test_the_survey(keys, rating, played):
    citizen = ScriptedCitizen(*keys)
    assert ask(citizen) == rating
    assert citizen.played == played


def test_the_share_of_calls_asked_is_stable_per_call():
    ids = [f"1796140{n}.{n % 7}" for n in range(2000)]
    assert all(is_sampled(i, 100) for i in ids) and not any(is_sampled(i, 0) for i in ids)
    share = sum(is_sampled(i, 30) for i in ids) / len(ids)
    assert 0.25 < share < 0.35
    assert [is_sampled(i, 30) for i in ids] == [is_sampled(i, 30) for i in ids]
