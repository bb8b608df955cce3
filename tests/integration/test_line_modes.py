"""Each line mode of docs/domain.md §1, end to end on the real Asterisk."""
from __future__ import annotations

import time

import pytest

from agi import config_snapshot
from db.models import Line

pytestmark = pytest.mark.asterisk


def played(log: list[str], prompt: str = "hotline/", language: str = "zh") -> bool:
    """Asterisk really played the file (its own "Playing" line), in the language expected."""
    return any(f"Playing '{prompt}" in line and f"(language '{language}')" in line for line in log)


def pbx_log_of(hotline, record) -> list[str]:
    """The PBX log lines of one call."""
    return hotline.pbx_call_log(record["uniqueid"])


def test_dual_line_plays_its_greeting_then_reaches_an_agent(hotline):
    record = hotline.call("86011234", "--hangup-after", "6")
    assert record["line"]["mode"] == "dual" and record["department"]["code"] == "swjt"
    assert record["outcome"] == "answered"
    log = pbx_log_of(hotline, record)
    assert played(log, "hotline/greeting-86011234")
    assert not any("does not exist" in line or "Unable to open" in line for line in log), log


def test_merged_line_hears_the_notice_and_is_tagged(hotline):
    # the notice is not interruptible (~7 s); then "1" in the greeting-menu → an agent
    record = hotline.call("12358", "--dtmf", "1", "--dtmf-delay", "9", "--hangup-after", "4")
    assert record["line"] == {"number": "12358", "name": record["line"]["name"], "mode": "merged"}
    assert record["department"]["code"] == "scjgj"
    assert record["outcome"] == "answered" and record["queue"] == "12345"
    log = pbx_log_of(hotline, record)
    assert played(log, "hotline/merged-notice")
    assert record["ivr_path"] == "1"
    assert not any("does not exist" in line or "Unable to open" in line for line in log), log


def test_sub_centre_is_transferred_to_the_department(hotline):
    record = hotline.call("12366", "--hangup-after", "8")
    assert record["outcome"] == "transferred"
    assert record["department"]["code"] == "swj" and record["agent"] is None
    # hang-up 8 s after the answer; the short transfer prompt (~2.5 s) and the dial come first
    assert record["talk_seconds"] is not None and 3.5 <= record["talk_seconds"] <= 6
    assert any('Dial(' in line and "PJSIP/12366@carrier" in line for line in pbx_log_of(hotline, record))


def test_emergency_number_goes_to_the_emergency_trunk_without_prompts(hotline):
    record = hotline.call("110", "--hangup-after", "3")
    assert record["outcome"] == "emergency" and record["line"]["mode"] == "emergency"
    log = pbx_log_of(hotline, record)
    assert any("Dial(" in line and "PJSIP/110@carrier" in line for line in log)
    assert not played(log, "")


def test_a_sub_centre_that_does_not_answer_falls_back_to_12345_agents(hotline):
    with hotline.session_factory()() as session:
        line = session.query(Line).filter_by(number="12305").one()
        line.transfer_target = "PJSIP/12305@nowhere"          # an endpoint that does not exist
        session.commit()
    time.sleep(config_snapshot.TTL + 0.2)   # the FastAGI server sees configuration changes within TTL
    try:
        record = hotline.call("12305", "--hangup-after", "8")
    finally:
        with hotline.session_factory()() as session:
            session.query(Line).filter_by(number="12305").one().transfer_target = "PJSIP/12305@carrier"
            session.commit()
        time.sleep(config_snapshot.TTL + 0.2)
    assert record["outcome"] == "answered" and record["agent"] is not None
    assert record["queue"] == "12345" and record["department"]["code"] == "yzglj"
