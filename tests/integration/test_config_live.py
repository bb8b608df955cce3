"""Configuration changes reach the running hotline without a restart and without dropping a call.

Each change is made the way an admin makes it (the real `hotline` command); the
FastAGI server hears it on Redis and drops its routing snapshot (queues and agents:
re-renders and reloads Asterisk), so the tests wait for that log line, never a sleep.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hotline.config import PROJECT_DIR
from queue_logic.agent_sessions import login_direct
from queue_logic.directory import load_directory
from tests.integration.test_line_modes import pbx_log_of, played
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


def admin(hotline, *args: str) -> str:
    done = hotline.hotline_cli(*args, "--by", "admin")
    assert done.returncode == 0, f"hotline {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def heard(hotline, before: int, text: str, count: int = 1) -> None:
    """The FastAGI server logged ``text`` ``count`` more times since ``before`` characters of its log."""
    wait_for(lambda: hotline.agi_log()[before:].count(text) >= count, 20, f"FastAGI log: {text}", interval=0.1)


def test_a_dual_line_made_merged_hears_the_notice_and_is_tagged_merged(hotline):
    mark = len(hotline.agi_log())
    admin(hotline, "line", "set", "12319", "mode=merged", "notice_until=2099-12-31")
    heard(hotline, mark, "configuration changed (line:12319)")
    try:
        record = hotline.call("12319", "--dtmf", "1", "--dtmf-delay", "9", "--hangup-after", "4")
    finally:
        mark = len(hotline.agi_log())
        admin(hotline, "line", "restore", "12319")
        heard(hotline, mark, "configuration changed (line:12319)")
    assert record["line"]["mode"] == "merged" and record["department"]["code"] == "cgj"
    assert record["outcome"] == "answered"
    assert played(pbx_log_of(hotline, record), "hotline/merged-notice")
    again = hotline.call("12319", "--hangup-after", "6")                 # restored: dual again
    assert again["line"]["mode"] == "dual"
    assert played(pbx_log_of(hotline, again), "hotline/greeting-12319")


def test_a_new_queue_and_agent_take_calls_without_restarting_asterisk(hotline):
    pid = hotline.pbx.pid()
    mark = len(hotline.agi_log())
    admin(hotline, "queue", "add", "elderly", "display_name=适老化专席", "ring_timeout_seconds=20")
    out = admin(hotline, "agent", "add", "1090", "name=孙丽", "queues=elderly:0")
    assert "SIP password" in out
    admin(hotline, "line", "add", "86010090", "name=适老专线", "mode=dual", "department=city",
          "queue_name=elderly", "greeting_text=您好，这里是适老专线。")
    heard(hotline, mark, "configuration change applied to Asterisk", count=2)
    assert "elderly" in hotline.pbx.cli("queue show elderly")
    hotline.wait_registered({"agent1090"}, timeout=20)     # its (simulated) softphone registered
    with hotline.session_factory()() as session:
        agent = load_directory(session).agents["1090"]
    with hotline.pbx_ami() as ami:
        login_direct(ami, [agent])
    record = hotline.call("86010090", "--hangup-after", "8")
    assert record["outcome"] == "answered" and record["queue"] == "elderly"
    assert record["agent"]["number"] == "1090"
    assert played(pbx_log_of(hotline, record), "hotline/line-86010090")   # the admin's text, spoken
    assert hotline.pbx.pid() == pid                                         # no restart

    # logged-in agents follow their memberships; a retired agent leaves its queues
    mark = len(hotline.agi_log())
    admin(hotline, "agent", "set", "1002", "queues=12345:0,overflow:0,elderly:3")
    admin(hotline, "agent", "remove", "1090")
    heard(hotline, mark, "configuration change applied to Asterisk", count=2)
    with hotline.pbx_ami() as ami:
        members = {(ev["Queue"], ev.get("Name") or ev.get("Location"), ev.get("Penalty"))
                   for ev in ami.action_list("QueueStatus", Queue="elderly") if ev.get("Event") == "QueueMember"}
    assert {(q, p) for q, _, p in members} == {("elderly", "3")}, members
    assert hotline.pbx.pid() == pid
    # leave the centre as it was for the next module on this hotline: the line retired, the queue deleted
    mark = len(hotline.agi_log())
    admin(hotline, "agent", "restore", "1002")
    admin(hotline, "line", "remove", "86010090")
    admin(hotline, "line", "set", "86010090", "queue_name=12345")   # a queue still named by a line stays
    admin(hotline, "queue", "remove", "elderly")
    heard(hotline, mark, "configuration change applied to Asterisk (queue:elderly)")   # the changes are heard in turn


def test_an_invalid_menu_is_refused_and_calls_keep_the_old_one(hotline, tmp_path):
    bad = tmp_path / "main.yaml"
    bad.write_text("prompt: menu-main\noptions:\n  '1': {action: submenu, menu: nowhere}\n", encoding="utf-8")
    done = hotline.hotline_cli("menu", "set", "main", str(bad))
    assert done.returncode == 1 and "menu main not saved" in done.stderr and "nowhere" in done.stderr
    record = hotline.call("12345", "--dtmf", "1", "--hangup-after", "4")
    assert record["outcome"] == "answered" and record["ivr_path"] == "1"


def test_a_change_while_a_call_is_up_does_not_drop_it(hotline):
    call = subprocess.Popen([sys.executable, "-m", "ops.cli", "call", "12345", "--dtmf", "1", "--dtmf-delay", "1",
                             "--hangup-after", "14"],
                            env=hotline.env, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wait_for(lambda: "Up" in hotline.pbx.cli("core show channels concise") and
                 "agent" in hotline.pbx.cli("core show channels concise"), 20, "a citizen talking to an agent",
                 interval=0.2)
        mark = len(hotline.agi_log())
        admin(hotline, "queue", "set", "12345", "announce_frequency_seconds=50")
        admin(hotline, "agent", "set", "1004", "name=Emma Liu 刘艾玛", "skills=english")
        heard(hotline, mark, "configuration change applied to Asterisk", count=2)
        out, err = call.communicate(timeout=60)
    finally:
        if call.poll() is None:
            call.kill()
    assert call.returncode == 0, err
    record = json.loads(out)
    assert record["outcome"] == "answered" and record["agent"] is not None
    # --hangup-after counts from the key: the citizen, not a reload, ended it after waiting + talking 14 s
    assert abs(record["wait_seconds"] + record["talk_seconds"] - 14.0) < 0.7
    mark = len(hotline.agi_log())
    admin(hotline, "queue", "restore", "12345")
    admin(hotline, "agent", "restore", "1004")
    heard(hotline, mark, "configuration change applied to Asterisk (agent:1004)")
