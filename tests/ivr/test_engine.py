"""The IVR engine with a scripted caller: every way a caller can behave ends with a destination."""
from __future__ import annotations

import pytest

from agi.session import ChannelHungUp
from ivr.engine import MAX_DEPTH, MAX_KEYS, IvrResult, run_menu
from ivr.menu import menus_from_data
from tests.ivr.fake_channel import HANGUP, FakeChannel

# A small tree of test menus: top → (2) sub → (3) deeper; (9) English submenu; (8) English desk.
MENUS = menus_from_data({
    "top": {
        "prompt": "menu-top", "timeout": 4, "invalid_retries": 1, "invalid_prompt": "invalid-key",
        "options": {
            "1": "agent",
            "2": {"action": "submenu", "menu": "sub"},
            "4": {"action": "queue", "queue": "overflow"},
            "5": {"action": "transfer", "target": "PJSIP/12366@carrier", "prompt": "transfer-subcentre"},
            "8": {"action": "language", "language": "en", "prompt": "english-desk"},
            "9": {"action": "language", "language": "en", "menu": "english-sub"},
            "*": "repeat",
            "#": "back",
        },
    },
    "sub": {
        "prompt": "menu-sub",
        "options": {"1": {"action": "self_service", "service": "social-security"},
                    "3": {"action": "submenu", "menu": "deeper"}, "#": "back"},
    },
    "deeper": {
        "prompt": "menu-deeper",
        "options": {"1": {"action": "self_service", "service": "housing-fund"}, "#": "back"},
    },
    "english-sub": {
        "prompt": "menu-english", "language": "en",
        "options": {"1": {"action": "agent", "prompt": "english-desk"}, "#": "back"},
    },
    "patient": {   # replays once after silence, with its own prompts
        "prompt": "menu-patient", "timeout": 3, "timeout_retries": 1, "timeout_prompt": "no-key",
        "invalid_retries": 2, "invalid_prompt": "invalid-key",
        "default": {"action": "queue", "queue": "12345", "prompt": "transfer-agent"},
        "options": {"1": {"action": "self_service", "service": "line"}},
    },
    "loop": {"prompt": "menu-loop", "options": {"2": {"action": "submenu", "menu": "loop"}, "*": "repeat"}},
})


def run(script, menu="top", menus=MENUS, language="zh"):
    channel = FakeChannel(script)
    return run_menu(channel, menu, language=language, menus=menus), channel


# --- the default: a human --------------------------------------------------------
def test_no_key_at_all_goes_to_a_mandarin_agent():
    result, channel = run([])
    assert result == IvrResult("agent", "12345", None, "zh", "t", result.reason, "top")
    assert "no key" in result.reason
    assert channel.prompts == ["menu-top"]
    assert channel.waits == [4.0]


def test_timeout_with_a_retry_replays_once_then_the_default_with_its_prompt():
    result, channel = run(["", ""], menu="patient")
    assert (result.action, result.queue, result.path) == ("queue", "12345", "tt")
    assert channel.prompts == ["menu-patient", "no-key", "menu-patient", "no-key", "transfer-agent"]


def test_a_key_after_one_timeout_is_still_taken():
    result, _ = run(["", "1"], menu="patient")
    assert (result.action, result.target, result.path) == ("self_service", "line", "t1")


def test_wrong_key_twice_then_the_default():
    result, channel = run(["7", "6"])
    assert (result.action, result.queue, result.path) == ("agent", "12345", "xx")
    assert "2 invalid keys" in result.reason
    assert channel.prompts == ["menu-top", "invalid-key", "menu-top", "invalid-key"]


def test_wrong_key_once_then_a_valid_one():
    result, channel = run(["7", "1"])
    assert (result.action, result.path) == ("agent", "x1")
    assert channel.prompts == ["menu-top", "invalid-key", "menu-top"]


def test_invalid_retries_are_counted_per_menu():
    result, _ = run(["7", "7", "7"], menu="patient")   # invalid_retries 2: third wrong key → default
    assert (result.action, result.path) == ("queue", "xxx")


# --- options -------------------------------------------------------------------------
def test_every_key_interrupts_the_menu_prompt_and_is_taken_at_once():
    result, channel = run(["!1"])
    assert (result.action, result.path) == ("agent", "1")
    assert channel.waits == []                       # no waiting after a barge-in
    assert channel.escapes[0] == "0123456789*#"      # wrong keys interrupt too: the caller hears "invalid" at once


def test_queue_and_transfer_options():
    result, _ = run(["4"])
    assert (result.action, result.queue, result.target) == ("queue", "overflow", None)
    result, channel = run(["5"])
    assert (result.action, result.target, result.queue) == ("transfer", "PJSIP/12366@carrier", "12345")
    assert channel.prompts[-1] == "transfer-subcentre"


def test_repeat_plays_the_menu_again():
    result, channel = run(["*", "*", "1"])
    assert result.path == "**1"
    assert channel.prompts == ["menu-top"] * 3


def test_submenu_then_self_service():
    result, channel = run(["2", "1"])
    assert result == IvrResult("self_service", "12345", "social-security", "zh", "2>1", result.reason, "sub")
    assert channel.prompts == ["menu-top", "menu-sub"]


def test_submenus_nest_and_back_climbs_one_level_at_a_time():
    result, channel = run(["2", "3", "#", "#", "1"])
    assert result.path == "2>3>#<#<1"
    assert result.action == "agent"
    assert channel.prompts == ["menu-top", "menu-sub", "menu-deeper", "menu-sub", "menu-top"]


def test_deepest_submenu_option():
    result, _ = run(["2", "3", "1"])
    assert (result.action, result.target, result.path, result.menu) == \
        ("self_service", "housing-fund", "2>3>1", "deeper")


def test_back_at_the_top_menu_repeats_it():
    result, channel = run(["#", "1"])
    assert result.path == "#1"
    assert channel.prompts == ["menu-top", "menu-top"]


def test_silence_in_a_submenu_takes_the_submenus_default():
    result, _ = run(["2"])
    assert (result.action, result.queue, result.path, result.menu) == ("agent", "12345", "2>t", "sub")


# --- language: the English desk ---------------------------------------------------------
def test_language_key_goes_to_the_english_desk_with_english_prompts():
    result, channel = run(["8"])
    assert (result.action, result.queue, result.language, result.path) == ("agent", "english", "en", "8")
    assert channel.played == [("zh", "menu-top"), ("en", "english-desk")]
    assert channel.language == "en"


def test_language_key_into_an_english_menu_and_back_to_mandarin():
    result, channel = run(["9", "#", "1"])
    assert (result.path, result.language, result.queue) == ("9>#<1", "zh", "12345")
    assert channel.played == [("zh", "menu-top"), ("en", "menu-english"), ("zh", "menu-top")]
    assert channel.languages_set == ["zh", "en", "zh"]


def test_silence_in_the_english_menu_reaches_an_english_speaking_agent():
    result, channel = run(["9"])
    assert (result.action, result.queue, result.language, result.path) == ("agent", "english", "en", "9>t")
    assert channel.played[-1] == ("en", "menu-english")


def test_a_menu_that_declares_its_language_switches_the_channel():
    result, channel = run([], menu="english-sub", language="zh")
    assert (result.language, result.queue) == ("en", "english")
    assert channel.languages_set == ["en"]
    assert channel.played == [("en", "menu-english")]


# --- a caller cannot be kept in the IVR, and cannot break it -----------------------------
def test_endless_repeats_end_with_a_human():
    result, channel = run(["*"] * 100)
    assert result.action == "agent"
    assert result.path == "*" * MAX_KEYS
    assert len(channel.prompts) == MAX_KEYS


def test_menus_nested_too_deep_end_with_a_human():
    result, _ = run(["2"] * 20, menu="loop")
    assert result.action == "agent"
    assert result.path.count(">") == MAX_DEPTH - 1
    assert "deeper" in result.reason


def test_unknown_menu_name_still_reaches_a_human_without_playing_anything():
    result, channel = run(["1"], menu="no-such-menu", language="en")
    assert (result.action, result.queue, result.language, result.path) == ("agent", "english", "en", "")
    assert "does not exist" in result.reason
    assert channel.played == []


@pytest.mark.parametrize("script", [[HANGUP], ["2", HANGUP], ["7", HANGUP]])
def test_a_hangup_propagates_to_the_handler(script):
    with pytest.raises(ChannelHungUp):
        run(script)


# --- the shipped menus ----------------------------------------------------------------------
def test_shipped_main_menu_no_key_is_a_12345_agent():
    result, channel = run([], menu="main", menus=None)
    assert (result.action, result.queue, result.language, result.path) == ("agent", "12345", "zh", "t")
    assert channel.prompts == ["menu-main"]


@pytest.mark.parametrize("key", ["1", "0"])
def test_shipped_main_menu_agent_keys(key):
    result, _ = run([key], menu="main", menus=None)
    assert (result.action, result.queue) == ("agent", "12345")


def test_shipped_main_menu_9_is_the_english_desk():
    result, channel = run(["9"], menu="main", menus=None)
    assert (result.action, result.queue, result.language) == ("agent", "english", "en")
    assert channel.played[-1] == ("en", "english-desk")


def test_shipped_self_service_menu():
    result, _ = run(["1"], menu="self-service", menus=None)
    assert (result.action, result.target, result.queue) == ("self_service", "line", "12345")
    result, _ = run([], menu="self-service", menus=None)
    assert (result.action, result.queue) == ("agent", "12345")
    result, _ = run(["2"], menu="self-service", menus=None)   # 12329 has no contributions query: a wrong key
    assert result.action == "agent" and result.path.startswith("x")
    result, _ = run(["2"], menu="social-security", menus=None)   # 12333: 社保缴费查询 (agi/handlers/contributions.py)
    assert (result.action, result.target, result.path) == ("self_service", "contributions", "2")
    result, _ = run(["1"], menu="social-security", menus=None)
    assert (result.action, result.target) == ("self_service", "line")


def test_shipped_english_menu_2_is_the_ticket_progress_in_english():
    result, channel = run(["2"], menu="english", menus=None)
    assert (result.action, result.target, result.language, result.path) == ("self_service", "progress", "en", "2")
    assert channel.played == [("en", "menu-english")]


def test_shipped_english_menu_9_goes_back_to_mandarin_agents():
    result, channel = run(["9"], menu="english", menus=None)
    assert (result.action, result.queue, result.language) == ("agent", "12345", "zh")
    assert channel.played == [("en", "menu-english"), ("zh", "transfer-agent")]


def test_shipped_english_menu_3_is_the_faq_and_8_a_message_both_in_english():
    result, _ = run(["3"], menu="english", menus=None)
    assert (result.action, result.language, result.path) == ("faq", "en", "3")
    result, _ = run(["8"], menu="english", menus=None)
    assert (result.action, result.target, result.language) == ("self_service", "voicemail", "en")
