"""``POST /api/v1/dispatch-suggestions`` on SQLite and PostgreSQL: no model yet, a trained one, bad input, roles."""
from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from dispatch_suggest.jobs import retrain
from hotline.config import Settings
from tests.dispatch_suggest.conftest import NOW
from web import create_app
from web.api import openapi_document

DOC = openapi_document()
PATH = "/api/v1/dispatch-suggestions"
LOGINS = {"agent": "agent1001", "reviewer": "reviewer", "clerk": "scjgj", "supervisor": "supervisor"}


def conforms(response):
    """The answer matches what web/openapi.yaml says for this path and status."""
    spec = DOC["paths"]["/dispatch-suggestions"]["post"]["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = DOC["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    validator = Draft202012Validator({**spec["content"]["application/json"]["schema"],
                                      "components": DOC["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


@pytest.fixture
def settings(database_url, passwords, tmp_path):
    return Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": database_url,
                              "HOTLINE_REDIS_PREFIX": "hltest-suggest-web:"})


@pytest.fixture
def app(settings):
    return create_app({"HOTLINE_SETTINGS": settings, "TESTING": True})


@pytest.fixture
def login(app, passwords):
    def make(role: str):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": LOGINS[role], "password": passwords[LOGINS[role]],
                                               "csrf_token": token})
        assert response.status_code == 302
        page = client.get("/login").get_data(as_text=True)
        client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return client
    return make


def ask(client, body, **headers):
    return client.post(PATH, json=body, headers={"X-CSRF-Token": client.csrf, **headers})


def test_before_any_training_the_answer_is_no_model_yet_and_then_why(login, history, settings):
    agent = login("agent")
    answer = conforms(ask(agent, {"description": "饭店后厨有老鼠"}))
    assert answer["status"] == "no_model" and answer["departments"] == [] and answer["model"] is None
    assert "No suggestion model yet" in answer["message"] and "Last training run" not in answer["message"]
    history(12)
    assert retrain(settings.database_url, str(settings.run_dir), now=NOW)["status"] == "not_enough_history"
    answer = conforms(ask(agent, {"description": "饭店后厨有老鼠"}))
    assert answer["status"] == "no_model"
    assert "Last training run 2026-06-01T02:00:00Z: only 12 accepted (签收) tickets" in answer["message"]


def test_the_trained_model_suggests_topic_and_department_with_probabilities(login, history, settings):
    history(160)
    done = retrain(settings.database_url, str(settings.run_dir), now=NOW)
    assert done["status"] == "trained" and done["version"] == 1
    agent = login("agent")
    answer = conforms(ask(agent, {"description": "市民反映经四路一家小吃店卖过期食品, 吃完后腹泻",
                                  "address": "市中区经四路20号"}))
    assert answer["status"] == "ok" and answer["model"]["version"] == 1
    assert answer["model"]["trained_at"] == "2026-06-01T02:00:00Z"
    top = answer["departments"][0]
    assert (top["code"], top["name"]) == ("scjgj", "济南市市场监督管理局") and len(answer["departments"]) == 3
    assert answer["topics"][0]["code"] == "market-food" and answer["topics"][0]["name"] == "市场监管 / 食品安全"
    probabilities = [d["probability"] for d in answer["departments"]]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < probabilities[0] <= 1
    # the topic the agent picked counts: the same vague text leans to the topic's department
    vague = {"description": "情况比较复杂, 之前反映过", "limit": 10}
    lighting = conforms(ask(agent, {**vague, "topic": "urban-lighting"}))["departments"]
    food = conforms(ask(agent, {**vague, "topic": "market-food"}))["departments"]
    assert lighting[0]["code"] == "cgj" and food[0]["code"] == "scjgj"
    # reviewers re-dispatching returns (改派) get it too; the hotline centre itself is never suggested
    everything = conforms(ask(login("reviewer"), {"description": "路灯不亮", "limit": 10}))
    assert {"hotline", "city"}.isdisjoint(d["code"] for d in everything["departments"])


BAD = [
    ({}, "description"),
    ({"description": "   "}, "description"),
    ({"description": 42}, "description"),
    ({"description": "x" * 4001}, "description"),
    ({"description": "路灯不亮", "limit": 0}, "limit"),
    ({"description": "路灯不亮", "limit": "3"}, "limit"),
    ({"description": "路灯不亮", "address": ["经四路"]}, "address"),
]


def test_bad_input_is_a_400_naming_the_field(login):
    agent = login("agent")
    for body, field in BAD:
        response = ask(agent, body)
        answer = conforms(response)
        assert response.status_code == 400 and answer["error"]["id"] == "invalid_input", body
        assert field in answer["error"]["fields"], body


def test_unknown_topic_and_a_body_that_is_no_object(login, history, settings):
    history(40)
    retrain(settings.database_url, str(settings.run_dir), now=NOW)
    agent = login("agent")
    assert "topic" in conforms(ask(agent, {"description": "路灯不亮", "topic": "no-such"}))["error"]["fields"]
    response = agent.post(PATH, data="路灯不亮", headers={"X-CSRF-Token": agent.csrf, "Content-Type": "text/plain"})
    assert response.status_code == 400 and "body" in conforms(response)["error"]["fields"]
    assert conforms(agent.post(PATH, json=["路灯不亮"], headers={"X-CSRF-Token": agent.csrf}))["error"]["id"] == \
        "invalid_input"


def test_who_may_ask(app, login):
    anonymous = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/login").get_data(as_text=True)).group(1)
    response = anonymous.post(PATH, json={"description": "路灯不亮"}, headers={"X-CSRF-Token": token})
    assert response.status_code == 401 and conforms(response)["error"]["id"] == "login_required"
    for role in ("clerk", "supervisor"):
        assert conforms(ask(login(role), {"description": "路灯不亮"}))["error"]["id"] == "forbidden"
    no_token = login("agent").post(PATH, json={"description": "路灯不亮"})
    assert no_token.status_code == 400 and "CSRF" in conforms(no_token)["error"]["message"]


def test_the_workspace_shows_the_hint_box_and_serves_its_script(login):
    agent = login("agent")
    page = agent.get("/agent/").get_data(as_text=True)
    assert 'id="dispatch-suggestion"' in page and f'data-url="{PATH}"' in page
    script = agent.get("/static/agent/suggestion.js")
    assert script.status_code == 200 and b"X-CSRF-Token" in script.data
