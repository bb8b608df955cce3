"""Social-security contributions by phone (社保缴费查询): keyed entries, the department's answer, the speech."""
from __future__ import annotations

import logging
import socket

import httpx
import pytest

from selfservice import contributions as c
from selfservice.progress import Say

ID, PIN = "370102199001011234", "123456"
ID_X, PIN_X = "37010219850315002X", "246810"
PATH = "/api/v1/contributions"


def test_keyed_entries_star_is_the_final_x_and_wrong_lengths_are_refused():
    assert c.id_number_from_keys(ID + "#") == ID
    assert c.id_number_from_keys("37010219850315002*") == ID_X
    assert c.id_number_from_keys("3701021985031500*2") is None      # '*' only as the last character
    assert c.id_number_from_keys(ID[:-1]) is None and c.id_number_from_keys("") is None
    assert c.pin_from_keys("123456#") == "123456"
    assert c.pin_from_keys("12345") is None and c.pin_from_keys("1234567") is None


def test_the_demo_department_answers_figures_and_a_wrong_pin_is_no_match(demo_department, caplog):
    caplog.set_level(logging.DEBUG)
    url = demo_department + PATH
    answered = c.ask(url, ID_X, PIN_X)
    assert answered == c.Outcome(c.ANSWERED, c.Contributions(143, 2026, 10, 81275))
    assert c.ask(url, ID, "000000") == c.Outcome(c.NO_MATCH)
    assert ID not in caplog.text and PIN_X not in caplog.text and ID_X not in caplog.text


def test_slow_down_and_unconfigured_systems_are_unavailable(demo_department):
    httpx.post(f"{demo_department}/control/delay", json={"seconds": 3}).raise_for_status()
    try:
        assert c.ask(demo_department + PATH, ID, PIN) == c.Outcome(c.UNAVAILABLE, reason="slow")
    finally:
        httpx.post(f"{demo_department}/control/delay", json={"seconds": 0}).raise_for_status()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}{PATH}"
    assert c.ask(dead, ID, PIN) == c.Outcome(c.UNAVAILABLE, reason="down")
    assert c.ask(None, ID, PIN).kind == c.UNAVAILABLE
    assert c.ask("ftp://example/x", ID, PIN) == c.Outcome(c.UNAVAILABLE, reason="bad_url")


def test_one_client_and_breaker_per_department_system():
    a, path_a = c.client_for("http://127.0.0.1:1/api/v1/contributions")
    b, path_b = c.client_for("http://127.0.0.1:1/api/v1/other")
    assert a is b and (path_a, path_b) == ("/api/v1/contributions", "/api/v1/other")
    assert c.client_for("http://127.0.0.1:2/x")[0] is not a


@pytest.mark.parametrize("language, last_month", [
    ("zh", [Say("digits", "2026"), Say("prompt", "contrib-year"), Say("number", "10"), Say("prompt", "progress-month")]),
    ("en", [Say("file", "digits/mon-9"), Say("number", "2026")]),    # October 2026
])
def test_the_figures_are_spoken_in_the_call_language(language, last_month):
    steps = c.speech(c.Contributions(143, 2026, 10, 81275), language)
    assert steps == [Say("prompt", "contrib-months-paid"), Say("number", "143"), Say("prompt", "contrib-months"),
                     Say("prompt", "contrib-last-month"), *last_month,
                     Say("prompt", "contrib-balance"), Say("number", "81275"), Say("prompt", "contrib-yuan")]


def test_every_fragment_spoken_is_a_generated_prompt():
    from ivr.prompt_texts import SELF_SERVICE_PROMPTS

    for language in ("zh", "en"):
        names = {s.value for s in c.speech(c.Contributions(1, 2026, 1, 0), language) if s.kind == "prompt"}
        assert names <= set(SELF_SERVICE_PROMPTS)


def test_the_seeded_12333_asks_the_demo_department_of_its_installation(session):
    from db.models import Line
    from db.seed import seed
    from hotline.config import Ports, current_settings

    line = session.query(Line).filter_by(number="12333").one()   # seeded with this process's settings
    assert line.self_service_url == f"http://127.0.0.1:{current_settings().ports.demo_department}{PATH}"
    seed(session, ports=Ports().shifted(6000))
    assert line.self_service_url == f"http://127.0.0.1:{Ports().demo_department + 6000}{PATH}"
