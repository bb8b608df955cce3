"""Wallboard actions end to end: web → Redis → AMI listener → the real Asterisk.

Listen / barge ring the supervisor's own phone (the carrier simulator answers it)
and start ChanSpy on the agent's call; the surge announcement is played to the
next caller and previewed on the supervisor's phone.
"""
from __future__ import annotations

import threading

import pytest

from hotline.keys import Keys
from hotline.redis_conn import redis_client
from tests.support.waiting import wait_for
from tests.support.web import csrf_of

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def supervisor(hotline):
    """The AMI listener running, the supervisor's phone registered, a logged-in web client."""
    hotline.start_service("ami")
    wait_for(lambda: "sup-supervisor" in hotline.pbx.cli("pjsip show contacts"), 15,
             "the supervisor's phone registered", interval=0.2)
    client = hotline.web_app().test_client()
    client.post("/login", data={"username": "supervisor", "password": hotline.passwords["supervisor"],
                                "csrf_token": csrf_of(client)})
    client.csrf = csrf_of(client)
    yield client
    hotline.stop_service("ami")


def post(client, path: str, **data):
    return client.post(f"/supervisor/wallboard/{path}", data=data, headers={"X-CSRF-Token": client.csrf})


def test_listen_whisper_barge_ring_the_supervisors_phone_and_spy_on_the_call(hotline, supervisor):
    keys, r = Keys(hotline.settings.redis_prefix), redis_client(hotline.settings)
    result: dict = {}
    call = threading.Thread(target=lambda: result.update(hotline.call("12315", "--hangup-after", "25")))
    with hotline.pbx_ami() as ami:
        call.start()
        connect = ami.wait_event(lambda m: m.get("Event") == "AgentConnect", 30)
        assert connect is not None
        agent = connect["MemberName"].split()[0]
        wait_for(lambda: r.hget(keys.agent(agent), "state") == b"talking", 3, f"agent {agent} talking in Redis")

        for mode, options in (("listen", "qE"), ("whisper", "qEw"), ("barge", "qEB")):
            response = post(supervisor, f"agents/{agent}/spy", mode=mode)
            assert response.status_code == 200, response.get_data(as_text=True)
            runs = ami.wait_event(lambda m: m.get("Event") == "Newexten" and m.get("Application") == "ChanSpy", 10)
            assert runs is not None and runs["Channel"].startswith("PJSIP/sup-supervisor-")
            assert runs["AppData"] == f"PJSIP/agent{agent}-,{options}"
            spy = ami.wait_event(lambda m: m.get("Event") == "ChanSpyStart", 10)
            assert spy is not None, f"ChanSpy ({mode}) did not start"
            assert spy["SpyerChannel"] == runs["Channel"]
            assert spy["SpyeeChannel"].startswith(f"PJSIP/agent{agent}-")
            ami.action("Hangup", Channel=spy["SpyerChannel"])
        ami.action("Hangup", Channel=connect["Channel"])     # the citizen's call ends: no need to wait
    call.join(60)
    assert result["outcome"] == "answered"


def test_spy_on_an_agent_without_a_call_is_refused(hotline, supervisor):
    response = post(supervisor, "agents/1004/spy", mode="listen")
    assert response.status_code == 409 and response.get_json()["error"] == "not_on_call"


def test_pause_from_the_wallboard_reaches_asterisk(hotline, supervisor):
    assert post(supervisor, "agents/1003/pause", reason="meeting").status_code == 200
    with hotline.pbx_ami() as ami:
        members = [e for e in ami.action_list("QueueStatus")
                   if e["Event"] == "QueueMember" and e["Location"] == "PJSIP/agent1003"]
    assert members and all((m["Paused"], m["PausedReason"]) == ("1", "meeting") for m in members)
    assert post(supervisor, "agents/1003/unpause").status_code == 200


def test_surge_announcement_plays_before_the_next_call_until_switched_off(hotline, supervisor):
    response = post(supervisor, "surge", text="市民朋友您好，食盐供应充足，请勿抢购。")
    assert response.status_code == 200, response.get_data(as_text=True)
    prompt = response.get_json()["surge"]["prompt"]
    try:
        assert prompt_played(hotline, prompt)
    finally:
        assert post(supervisor, "surge/off").status_code == 200
    assert not prompt_played(hotline, prompt)


def prompt_played(hotline, prompt: str) -> bool:
    """Call 12315 and say whether the dialplan played ``prompt`` to the caller (inbound path's contract)."""
    with hotline.pbx_ami() as ami:
        record = hotline.call("12315", "--hangup-after", "3")
        assert record["outcome"]
        found = ami.wait_event(lambda m: m.get("Event") == "Newexten" and played(m, prompt), 2.0)
    return found is not None


def played(newexten: dict, prompt: str) -> bool:
    """Playback(prompt...) run directly or through ExecIf(cond?Playback(...))."""
    return f"Playback({prompt}" in f"{newexten.get('Application')}({newexten.get('AppData', '')})"


def test_surge_preview_plays_on_the_supervisors_phone(hotline, supervisor):
    with hotline.pbx_ami() as ami:
        response = post(supervisor, "surge/preview", text="测试播报")
        assert response.status_code == 200, response.get_data(as_text=True)
        played = ami.wait_event(lambda m: m.get("Event") == "UserEvent"
                                and m.get("UserEvent") == "HotlineSurgePreview", 20)
    assert played is not None and played["Status"] == "SUCCESS"
    assert "/surge/" in played["Prompt"]


def test_the_supervisor_can_read_the_settings_of_its_phone(hotline, supervisor):
    done = hotline.hotline_cli("agents", "supervisor-phone", "supervisor")
    assert done.returncode == 0, done.stderr
    fields = dict(line.split(None, 1) for line in done.stdout.splitlines()[1:4])
    assert fields["username"] == "sup-supervisor"
    rendered = (hotline.pbx.etc_dir / "pjsip.conf").read_text()
    assert f"username = sup-supervisor\npassword = {fields['password']}" in rendered
    assert hotline.hotline_cli("agents", "supervisor-phone", "agent1001").returncode == 1
