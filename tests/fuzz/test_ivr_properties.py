"""Property tests of the IVR engine (ivr/engine.py) with a scripted caller (tests/ivr/fake_channel.py).

Random DTMF (with barge-in), silences and hang-ups, on every shipped menu: the engine never raises but for
the caller's hang-up, always ends at a destination a citizen can reach, within its bounds (MAX_KEYS waits,
MAX_DEPTH menus), and its path records only what the caller did.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agi.session import ChannelHungUp
from ivr.channel import ALL_KEYS
from ivr.engine import AGENT_QUEUES, MAX_DEPTH, MAX_KEYS, run_menu
from ivr.menu import shipped_menus
from tests.fuzz.budget import PROPERTY
from tests.ivr.fake_channel import HANGUP, FakeChannel

MENUS = shipped_menus()
KEY = st.sampled_from(list(ALL_KEYS))
ENTRY = st.one_of(KEY, KEY.map(lambda k: "!" + k), st.just(""), st.sampled_from(["5", "x", "12"]))
SCRIPT = st.lists(ENTRY, max_size=3 * MAX_KEYS)
PATH = re.compile(r"[0-9*#xt<>]*")
ACTIONS = {"agent", "queue", "self_service", "transfer", "faq"}


def test_there_are_menus_to_fuzz():
    assert {"main"} <= set(MENUS)


@pytest.mark.parametrize("menu", sorted(MENUS))
@PROPERTY
@given(script=SCRIPT, hang_up_at=st.none() | st.integers(min_value=0, max_value=3 * MAX_KEYS),
       language=st.sampled_from(["zh", "en"]))
def test_every_caller_ends_somewhere_or_hangs_up(menu, script, hang_up_at, language):
    if hang_up_at is not None:
        script = script[:hang_up_at] + [HANGUP] + script[hang_up_at:]
    channel = FakeChannel(script, language=language)
    try:
        result = run_menu(channel, menu, language=language, menus=MENUS)
    except ChannelHungUp:
        assert hang_up_at is not None  # only the caller ends a call in the IVR
        return
    assert result.action in ACTIONS, result
    assert result.language in AGENT_QUEUES and result.queue, result
    if result.action in ("self_service", "transfer", "faq"):
        assert result.target, result
    assert PATH.fullmatch(result.path), result.path
    assert len(channel.waits) <= MAX_KEYS and result.path.count(">") - result.path.count("<") < MAX_DEPTH
    assert channel.language == result.language  # the channel speaks the language the call goes on in
    assert all(set(escapes) <= set(ALL_KEYS) for escapes in channel.escapes)


@PROPERTY
@given(name=st.text(max_size=30).filter(lambda n: n not in MENUS), language=st.sampled_from(["zh", "en"]))
def test_an_unknown_menu_still_reaches_a_person(name, language):
    result = run_menu(FakeChannel(["1"]), name, language=language, menus=MENUS)
    assert result.action == "agent" and result.queue == AGENT_QUEUES[language]
