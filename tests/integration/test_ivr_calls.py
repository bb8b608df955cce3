"""Real calls through the IVR: whatever the citizen does (or does not), a human answers."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.asterisk


def test_no_key_at_all_reaches_a_human(hotline):
    record = hotline.call("12345", "--hangup-after", "14")     # greeting-menu ~7 s + 2 s silence
    assert record["ivr_path"] == "t"
    assert record["outcome"] == "answered" and record["queue"] == "12345"


def test_wrong_key_twice_reaches_a_human(hotline):
    # "5" interrupts the menu → "wrong key" and the menu again → "5" again → a person
    record = hotline.call("12345", "--dtmf", "5wwwwww5", "--dtmf-delay", "1", "--hangup-after", "6")
    assert record["ivr_path"] == "xx"
    assert record["outcome"] == "answered" and record["agent"] is not None and record["queue"] == "12345"


def test_language_key_switches_to_the_english_desk(hotline):
    record = hotline.call("12345", "--dtmf", "9", "--dtmf-delay", "1", "--hangup-after", "9")
    assert record["ivr_path"] == "9" and record["language"] == "en"
    assert record["queue"] == "english" and record["outcome"] == "answered"
    assert record["agent"]["number"] in {"1003", "1004"}      # the English-speaking agents


def test_self_service_key_on_12333_goes_to_the_department_system(hotline):
    # the line's greeting (~7 s, not interruptible), then its menu: "1" = self-service query
    record = hotline.call("12333", "--dtmf", "1", "--dtmf-delay", "8.5", "--hangup-after", "5")
    assert record["ivr_path"] == "1" and record["line"]["mode"] == "self_service"
    assert record["outcome"] == "self_served" and record["department"]["code"] == "rsj"


def test_hanging_up_in_the_middle_of_the_menu_is_an_abandon_without_errors(hotline):
    before = hotline.agi_log()
    record = hotline.call("12345", "--hangup-after", "2")
    assert record["outcome"] == "abandoned" and record["agent"] is None
    new_log = hotline.agi_log()[len(before):]
    assert "Traceback" not in new_log and " ERROR " not in new_log, new_log
