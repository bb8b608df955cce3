"""Wallboard and agent-state views: access per role, snapshot from a real Redis, commands, surge.

The listener's side is played by a thread speaking the Redis command protocol
(queue_logic.commands); the real listener against the real Asterisk is in
tests/integration/test_wallboard_live.py and tests/browser/.
"""
from __future__ import annotations

import json
import secrets
import threading

import pytest

from db.models import CentreSetting
from db.session import make_engine, make_session_factory
from hotline.config import Settings
from hotline.keys import Keys
from hotline.redis_conn import redis_client
from queue_logic.live_state import LiveState
from queue_logic.model import LiveModel
from tests.support.ami_events import caller_events, day_of, log_in, make_directory
from tests.support.web import LOGIN_FOR_ROLE, ROLES
from tests.support.web import log_in as web_log_in
from web import create_app


@pytest.fixture
def live(database_url, passwords, tmp_path):
    """An app on its own Redis prefix; yields (app, redis client, keys)."""
    settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                                  "HOTLINE_REDIS_PREFIX": f"hltest-wb-{secrets.token_hex(4)}:"})
    app = create_app({"HOTLINE_SETTINGS": settings, "TESTING": True})
    client, keys = redis_client(settings), Keys(settings.redis_prefix)
    yield app, client, keys
    stale = list(client.scan_iter(f"{keys.prefix}*"))
    if stale:
        client.delete(*stale)


def logged_in(app, passwords, role: str):
    from tests.support.web import csrf_of

    c = app.test_client()
    assert web_log_in(c, LOGIN_FOR_ROLE[role], passwords[LOGIN_FOR_ROLE[role]]).status_code == 302
    c.csrf = csrf_of(c)
    return c


def next_message(pubsub, timeout: float):
    """The next published message (get_message returns None for the subscribe confirmation too)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
        if message is not None:
            return message
    return None


class FakeListener:
    """Answers commands over Redis as the AMI listener does; records what it was asked."""

    def __init__(self, client, keys, reply=None):
        self.client, self.keys, self.reply = client, keys, reply or (lambda c: {"ok": True})
        self.commands: list[dict] = []
        client.set(keys.listener_heartbeat, 1, ex=30)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        item = self.client.blpop([self.keys.commands], timeout=4)
        if item:
            command = json.loads(item[1])
            self.commands.append(command)
            self.client.rpush(self.keys.command_reply(command["id"]),
                              json.dumps({"id": command["id"], **self.reply(command)}))


@pytest.mark.parametrize("role", ROLES)
def test_only_supervisors_and_admins_see_the_wallboard(live, passwords, role):
    app, _, _ = live
    c = logged_in(app, passwords, role)
    for path in ("/supervisor/wallboard/", "/supervisor/wallboard/snapshot"):
        assert c.get(path).status_code == (200 if role in ("supervisor", "admin") else 403), path


def test_anonymous_is_sent_to_login_and_the_supervisor_home_is_the_wallboard(live, passwords):
    app, _, _ = live
    assert app.test_client().get("/supervisor/wallboard/").status_code == 302
    home = logged_in(app, passwords, "supervisor").get("/")
    assert home.headers["Location"].endswith("/supervisor/wallboard/")


def test_snapshot_shows_what_the_listener_wrote(live, passwords):
    app, client, keys = live
    model = LiveModel(make_directory(), day_of)
    log_in(model, "1001", ("12345",), now=1000.0)
    for ev in caller_events("c1"):
        model.apply(ev, 1005.0)
    LiveState(client, keys, model).flush()
    data = logged_in(app, passwords, "supervisor").get("/supervisor/wallboard/snapshot").get_json()
    queue = next(q for q in data["queues"] if q["name"] == "12345")
    assert queue["waiting"] == 1 and queue["callers"][0]["line"] == "12315"
    assert next(a for a in data["agents"] if a["number"] == "1001")["state"] == "idle"
    assert data["surge"]["on"] is False and data["listener"]["connected"] is False


def test_stream_starts_with_a_snapshot(live, passwords):
    app, _, _ = live
    response = logged_in(app, passwords, "supervisor").get("/supervisor/wallboard/stream", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks).decode().startswith("retry:")
    first = next(chunks).decode()
    assert first.startswith("event: snapshot") and '"queues"' in first
    response.close()


def test_pause_goes_to_the_listener_with_the_reason(live, passwords):
    app, client, keys = live
    listener = FakeListener(client, keys)
    c = logged_in(app, passwords, "supervisor")
    response = c.post("/supervisor/wallboard/agents/1002/pause", data={"reason": "training"},
                      headers={"X-CSRF-Token": c.csrf})
    assert response.status_code == 200 and response.get_json()["ok"]
    assert {k: listener.commands[0][k] for k in ("action", "agent", "reason")} == {
        "action": "pause", "agent": "1002", "reason": "training"}


def test_spy_rings_the_supervisors_own_phone(live, passwords):
    app, client, keys = live
    listener = FakeListener(client, keys)
    c = logged_in(app, passwords, "supervisor")
    assert c.post("/supervisor/wallboard/agents/1001/spy", data={"mode": "barge"},
                  headers={"X-CSRF-Token": c.csrf}).status_code == 200
    assert {k: listener.commands[0][k] for k in ("action", "agent", "mode", "supervisor")} == {
        "action": "spy", "agent": "1001", "mode": "barge", "supervisor": "supervisor"}


def test_a_failed_command_keeps_its_error_id_and_status(live, passwords):
    app, client, keys = live
    FakeListener(client, keys, reply=lambda c: {"ok": False, "error": "not_on_call", "message": "no call",
                                                 "status": 409})
    c = logged_in(app, passwords, "supervisor")
    response = c.post("/supervisor/wallboard/agents/1001/spy", headers={"X-CSRF-Token": c.csrf})
    assert response.status_code == 409 and response.get_json()["error"] == "not_on_call"


def test_actions_answer_503_when_the_listener_is_down_and_need_csrf(live, passwords):
    app, _, _ = live
    c = logged_in(app, passwords, "supervisor")
    assert c.post("/supervisor/wallboard/agents/1001/unpause").status_code == 400      # no CSRF token
    response = c.post("/supervisor/wallboard/agents/1001/unpause", headers={"X-CSRF-Token": c.csrf})
    assert response.status_code == 503 and response.get_json()["error"] == "listener_down"


def test_surge_switched_on_from_text_and_off(live, passwords, database_url):
    app, client, keys = live
    c = logged_in(app, passwords, "supervisor")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(keys.live_channel)
    try:
        response = c.post("/supervisor/wallboard/surge", data={"text": "食盐供应充足，请勿抢购。"},
                          headers={"X-CSRF-Token": c.csrf})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert next_message(pubsub, 2.0) is not None              # open wallboards refresh
    finally:
        pubsub.close()
    engine = make_engine(database_url)
    with make_session_factory(engine)() as s:
        prompt = s.get(CentreSetting, "surge_prompt")
        assert prompt.value.startswith(str(app.config["HOTLINE_SETTINGS"].prompts_dir / "surge"))
        assert prompt.updated_by == "supervisor"
        assert s.get(CentreSetting, "surge_text").value == "食盐供应充足，请勿抢购。"
    assert c.post("/supervisor/wallboard/surge/off", headers={"X-CSRF-Token": c.csrf}).get_json()["surge"]["on"] \
        is False
    with make_session_factory(engine)() as s:
        assert s.get(CentreSetting, "surge_prompt").value == ""
    engine.dispose()
    bad = c.post("/supervisor/wallboard/surge", data={"text": " "}, headers={"X-CSRF-Token": c.csrf})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_announcement"


# --- the agent's own state (embedded in the agent workspace) ---------------------------------
def test_an_agent_sees_its_own_state_and_pauses_itself(live, passwords):
    app, client, keys = live
    model = LiveModel(make_directory(), day_of)
    log_in(model, "1001", ("12345",), now=1000.0)
    LiveState(client, keys, model).flush()
    c = logged_in(app, passwords, "agent")            # agent1001
    state = c.get("/agent/state/").get_json()
    assert (state["number"], state["state"], state["queues"]) == ("1001", "idle", "12345:0")
    assert 'id="agent-state"' in c.get("/agent/state/panel").get_data(as_text=True)
    listener = FakeListener(client, keys)
    assert c.post("/agent/state/pause", data={"reason": "meeting"}, headers={"X-CSRF-Token": c.csrf}).status_code == 200
    assert {k: listener.commands[0][k] for k in ("action", "agent", "reason")} == {
        "action": "pause", "agent": "1001", "reason": "meeting"}


@pytest.mark.parametrize("role", ["supervisor", "clerk", "reviewer"])
def test_agent_state_is_for_agents_only(live, passwords, role):
    app, _, _ = live
    assert logged_in(app, passwords, role).get("/agent/state/").status_code == 403


def test_the_supervisor_overview_shows_the_same_queue_figures(live, passwords):
    app, client, keys = live
    model = LiveModel(make_directory(), day_of)
    log_in(model, "1001", ("12345",), now=1000.0)
    for ev in caller_events("c1"):
        model.apply(ev, 1005.0)
    LiveState(client, keys, model).flush()
    page = logged_in(app, passwords, "supervisor").get("/supervisor/").get_data(as_text=True)
    row = next(line for line in page.splitlines() if line.startswith("<tr><td>12345</td>"))
    assert row.startswith("<tr><td>12345</td><td>1</td>"), row      # one caller waiting
