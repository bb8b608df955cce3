"""Menu files: the shipped ones load; a bad one is refused with its file name and the problem."""
from __future__ import annotations

import textwrap

import pytest

from hotline.errors import HotlineError
from ivr.menu import MENUS_DIR, MenuError, Option, load_menus, menus_from_data, shipped_menus

GOOD = """\
prompt: menu-main
options:
  "1": agent
"""


def write(folder, name, text):
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the shipped menus -----------------------------------------------------------------
def test_shipped_menus_load_with_the_names_lines_use():
    menus = load_menus(MENUS_DIR)
    assert set(menus) == {"main", "self-service", "social-security", "english"}
    assert shipped_menus() == menus


def test_every_shipped_menu_sends_silence_to_a_person_at_once():
    """GB/T 33358: the default is a human, reached after one timeout, not after a maze."""
    for menu in shipped_menus().values():
        assert menu.default.action == "agent", menu.name
        assert menu.timeout_retries == 0, menu.name
        assert menu.timeout <= 5, menu.name
        assert menu.invalid_retries <= 2, menu.name


def test_main_menu_is_short():
    main = shipped_menus()["main"]
    assert main.options["1"] == Option("agent")
    assert main.options["0"] == Option("agent")
    assert main.options["9"] == Option("language", language="en", prompt="english-desk")
    assert main.options["2"] == Option("self_service", service="progress")   # 工单查询 (issue 13)
    assert main.options["3"] == Option("faq", count=5)                          # 电话常见问题 (issue 13)
    assert main.options["8"] == Option("self_service", service="voicemail")  # 留言 (issue 12)
    # agent (1, 0), progress (2), FAQ (3), voicemail (8), English (9), repeat (*): one level only
    assert len(main.options) <= 7


def test_keys_written_as_numbers_are_accepted(tmp_path):
    write(tmp_path, "numbers", "prompt: menu-main\noptions:\n  1: agent\n  0: repeat\n")
    assert set(load_menus(tmp_path)["numbers"].options) == {"1", "0"}


def test_defaults_when_fields_are_left_out(tmp_path):
    write(tmp_path, "plain", GOOD)
    menu = load_menus(tmp_path)["plain"]
    assert (menu.default, menu.timeout, menu.timeout_retries, menu.invalid_retries, menu.invalid_prompt) == \
        (Option("agent"), 5.0, 0, 1, "invalid-key")
    assert menu.prompts() == {"menu-main", "invalid-key"}


# --- refused files ----------------------------------------------------------------------
BAD = [
    ("prompt: [unclosed\n", "not valid YAML"),
    ("- a\n- list\n", "expected a mapping"),
    (GOOD + "timout: 5\n", "unknown field(s) timout"),
    ('options:\n  "1": agent\n', "'prompt' is missing"),
    ("prompt: menu-main\n", "'options' must map at least one key"),
    ('prompt: menu-main\noptions:\n  "10": agent\n', "option key '10' is not one DTMF key"),
    ('prompt: menu-main\noptions:\n  "a": agent\n', "option key 'a' is not one DTMF key"),
    ('prompt: menu-main\noptions:\n  "1": agent\n  1: repeat\n', "option '1' is given twice"),
    ('prompt: menu-main\noptions:\n  "1": dial\n', "option '1': unknown action 'dial'"),
    ('prompt: menu-main\noptions:\n  "1": {action: queue}\n', "action 'queue' needs queue"),
    ('prompt: menu-main\noptions:\n  "1": {action: agent, queue: x}\n', "action 'agent' does not take queue"),
    ('prompt: menu-main\noptions:\n  "1": {action: transfer, target: ""}\n', "target must be a non-empty text"),
    ('prompt: menu-main\noptions:\n  "1": {action: language, language: fr}\n', "'fr' is not a supported language"),
    ('prompt: Menu Main\noptions:\n  "1": agent\n', "is not a prompt name"),
    (GOOD + "default: repeat\n", "default is 'repeat': it must end the menu"),
    (GOOD + "default: {action: submenu, menu: plain}\n", "default is 'submenu'"),
    (GOOD + "timeout: 0\n", "timeout: must be a number from 0.5 to 30"),
    (GOOD + "timeout: 120\n", "timeout: must be a number from 0.5 to 30"),
    (GOOD + "timeout: five\n", "timeout: must be a number"),
    (GOOD + "invalid_retries: -1\n", "invalid_retries: must be a whole number"),
    (GOOD + "timeout_retries: 1.5\n", "timeout_retries: must be a whole number"),
    (GOOD + "language: de\n", "'de' is not a supported language"),
]


@pytest.mark.parametrize("text, problem", BAD, ids=[p for _, p in BAD])
def test_bad_menu_file_is_refused_naming_the_file_and_the_problem(tmp_path, text, problem):
    write(tmp_path, "broken", text)
    with pytest.raises(MenuError) as caught:
        load_menus(tmp_path)
    message = str(caught.value)
    assert "broken.yaml" in message
    assert problem in message
    assert isinstance(caught.value, HotlineError)   # the CLI prints it without a traceback


def test_option_leading_to_a_missing_menu_names_both(tmp_path):
    write(tmp_path, "good", GOOD)
    write(tmp_path, "top", 'prompt: menu-main\noptions:\n  "2": {action: submenu, menu: elsewhere}\n')
    with pytest.raises(MenuError) as caught:
        load_menus(tmp_path)
    assert "top.yaml" in str(caught.value)
    assert "menu 'elsewhere', which does not exist (menus: good, top)" in str(caught.value)


def test_language_option_into_a_menu_of_another_language_is_refused(tmp_path):
    write(tmp_path, "english", GOOD + "language: en\n")
    write(tmp_path, "top", 'prompt: menu-main\noptions:\n  "9": {action: language, language: zh, menu: english}\n')
    with pytest.raises(MenuError, match="top.yaml: option '9' switches to 'zh' but menu 'english' speaks 'en'"):
        load_menus(tmp_path)


def test_menu_file_name_must_be_a_menu_name(tmp_path):
    write(tmp_path, "Main Menu", GOOD)
    with pytest.raises(MenuError, match="Main Menu.yaml: a menu file name is lowercase"):
        load_menus(tmp_path)


def test_menus_from_data_name_the_menu():
    with pytest.raises(MenuError, match="menu 'x': 'prompt' is missing"):
        menus_from_data({"x": {"options": {"1": "agent"}}})
