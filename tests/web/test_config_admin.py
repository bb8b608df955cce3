"""The configuration pages and API (中心配置): admin only, every change audited and restorable, answers as documented."""
from __future__ import annotations

import subprocess

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from db.models import ConfigVersion, Line, LineMode
from tests.support.web import post_form, post_json
from web.api import openapi_document

ROLES = ("agent", "reviewer", "clerk", "supervisor", "admin")
DOC = openapi_document()
GET = ("/admin/config/", "/admin/config/lines/12319", "/admin/config/lines/new", "/admin/config/queues/12345",
       "/admin/config/agents/1001", "/admin/config/menus/new", "/api/v1/lines", "/api/v1/lines/12319",
       "/api/v1/queues", "/api/v1/agents/1001", "/api/v1/menus", "/api/v1/switches", "/api/v1/calendar-days",
       "/api/v1/lines/12319/versions", "/api/v1/config-versions", "/api/v1/staged-changes")


def conforms(response, path: str, method: str = "get"):
    spec = DOC["paths"][path][method]["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = DOC["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    schema = spec["content"]["application/json"]["schema"]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in
              Draft202012Validator({**schema, "components": DOC["components"]}).iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


def patch_json(client, path: str, body):
    return client.patch(path, json=body, headers={"X-CSRF-Token": client.csrf})


@pytest.mark.parametrize("path", GET)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_admin_opens_the_configuration(as_role, role, path):
    status = as_role(role).get(path).status_code
    assert status == (200 if role == "admin" else 403), (role, path, status)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_admin_changes_it(as_role, role):
    client = as_role(role)
    assert post_form(client, "/admin/config/lines/12319").status_code == (302 if role == "admin" else 403)
    response = post_json(client, "/api/v1/lines", {})
    assert response.status_code == (422 if role == "admin" else 403)
    assert "error" in response.get_json()


def test_anonymous_gets_login_or_401(ticket_app):
    client = ticket_app.test_client()
    assert client.get("/api/v1/lines").status_code == 401
    response = client.get("/admin/config/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_merge_a_legacy_number_and_restore_it(as_role, db_session):
    admin = as_role("admin")
    response = patch_json(admin, "/api/v1/lines/12319", {"mode": "merged", "notice_until": "2027-03-31",
                                                         "note": "12319 并入 12345"})
    body = conforms(response, "/lines/{number}", "patch")
    assert body["item"]["mode"] == "merged" and body["version"]["changed_by"] == "admin"
    assert body["version"]["changed"]["mode"] == {"before": "dual", "after": "merged"}
    versions = conforms(admin.get("/api/v1/lines/12319/versions"), "/lines/{number}/versions")
    assert versions[0]["note"] == "12319 并入 12345" and versions[0]["before"]["mode"] == "dual"
    body = conforms(post_json(admin, "/api/v1/lines/12319/restore", {}), "/lines/{number}/restore", "post")
    assert body["item"]["mode"] == "dual" and body["version"]["action"] == "restore"
    with db_session() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12319")) is LineMode.dual


def test_api_bad_fields_are_named_and_nothing_is_saved(as_role, db_session):
    admin = as_role("admin")
    with db_session() as s:
        before = s.query(ConfigVersion).count()
    # a value outside the contract (an unknown mode) is refused at the edge, against web/openapi.yaml
    response = patch_json(admin, "/api/v1/lines/12315", {"mode": "gone", "business_hours": "workdays 09:00-17:00"})
    error = conforms(response, "/lines/{number}", "patch")["error"]
    assert response.status_code == 400 and "mode" in error["fields"]
    # a value the contract allows but the configuration's own rules refuse: 422, every such field named
    response = patch_json(admin, "/api/v1/lines/12315", {"transfer_target": "PJSIP/x@carrier",
                                                         "business_hours": "sometimes"})
    error = conforms(response, "/lines/{number}", "patch")["error"]
    assert response.status_code == 422 and error["id"] == "invalid_config"
    assert "business_hours" in error["fields"]
    assert conforms(admin.get("/api/v1/lines/99999"), "/lines/{number}")["error"]["id"] == "not_found"
    with db_session() as s:
        assert s.query(ConfigVersion).count() == before
        assert s.scalar(select(Line.mode).where(Line.number == "12315")) is LineMode.dual


def test_api_new_agent_gets_its_secret_once(as_role):
    admin = as_role("admin")
    response = post_json(admin, "/api/v1/agents", {"number": "1088", "name": "周杰", "queues": {"12345": 1}})
    body = conforms(response, "/agents", "post")
    assert response.status_code == 201 and len(body["sip_secret"]) >= 16
    again = conforms(admin.get("/api/v1/agents/1088"), "/agents/{number}")
    assert body["sip_secret"] not in str(again) and again["queues"] == {"12345": 1}
    assert body["sip_secret"] not in str(admin.get("/api/v1/agents/1088/versions").get_json())


def test_api_staged_change_is_listed_on_the_line(as_role):
    admin = as_role("admin")
    response = post_json(admin, "/api/v1/lines/12320/staged", {"due_at": "2027-01-01T00:00:00+08:00",
                                                               "changes": {"mode": "merged",
                                                                           "notice_until": "2027-03-31"}})
    row = conforms(response, "/lines/{number}/staged", "post")
    assert row["due_at"] == "2026-12-31T16:00:00Z"
    line = conforms(admin.get("/api/v1/lines/12320"), "/lines/{number}")
    assert [s["id"] for s in line["staged"]] == [row["id"]]
    bad = post_json(admin, "/api/v1/lines/12320/staged", {"due_at": "soon", "changes": {}})
    assert "due_at" in conforms(bad, "/lines/{number}/staged", "post")["error"]["fields"]   # not a date-time
    cancelled = admin.delete(f"/api/v1/staged-changes/{row['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert conforms(cancelled, "/staged-changes/{change_id}", "delete")["cancelled_at"]


def test_api_refuses_an_invalid_menu(as_role):
    admin = as_role("admin")
    response = post_json(admin, "/api/v1/menus", {"name": "elderly", "source": "prompt: menu-main\noptions: {}\n"})
    error = conforms(response, "/menus", "post")["error"]
    assert "options" in error["fields"]["source"]


def test_upload_a_greeting_recording(as_role, ticket_app, tmp_path):
    settings = ticket_app.config["HOTLINE_SETTINGS"]
    wav = tmp_path / "hello.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "2", str(wav), "synth", "1", "sine", "440"], check=True)
    admin = as_role("admin")
    with wav.open("rb") as f:
        response = admin.post("/api/v1/lines/12348/greeting-recording", data={"file": (f, "hello.wav")},
                              headers={"X-CSRF-Token": admin.csrf}, content_type="multipart/form-data")
    body = conforms(response, "/lines/{number}/greeting-recording", "post")
    assert body["item"]["greeting"] == "line-12348-recorded"
    assert (settings.prompts_dir / "zh" / "line-12348-recorded.wav").exists()
    with open(__file__, "rb") as not_sound:
        junk = admin.post("/api/v1/lines/12348/greeting-recording", data={"file": (not_sound, "x.wav")},
                          headers={"X-CSRF-Token": admin.csrf}, content_type="multipart/form-data")
    assert junk.status_code == 422 and "sox" in junk.get_json()["error"]["fields"]["recording"]


def test_page_merge_restore_and_stage(as_role, db_session):
    admin = as_role("admin")
    response = post_form(admin, "/admin/config/lines/12350", mode="merged", notice_until="2027-06-30",
                         note="安全生产热线并入")
    assert response.status_code == 302
    page = admin.get("/admin/config/lines/12350").get_data(as_text=True)
    assert "mode: dual → merged" in page and "安全生产热线并入" in page and 'id="restore"' in page
    with db_session() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12350")) is LineMode.merged
    assert post_form(admin, "/admin/config/lines/12350/restore").status_code == 302
    with db_session() as s:
        assert s.scalar(select(Line.mode).where(Line.number == "12350")) is LineMode.dual
    response = post_form(admin, "/admin/config/lines/12350/staged", day="2027-01-01", mode="merged",
                         notice_days="90")
    assert response.status_code == 302
    page = admin.get("/admin/config/lines/12350").get_data(as_text=True)
    assert "2026-12-31 16:00:00" in page and "2027-03-31" in page
    response = post_form(admin, "/admin/config/lines/12350", mode="nope", language="fr")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-field="mode"' in page and 'data-field="language"' in page


def test_page_new_agent_shows_the_secret_once(as_role):
    admin = as_role("admin")
    response = post_form(admin, "/admin/config/agents/new", number="1066", name="吴昊", languages="zh",
                         queues="12345:0", active="1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="sip-secret"' in page and "shown once" in page
    secret = page.split('id="sip-secret">')[1].split("<")[0]
    assert secret not in admin.get("/admin/config/agents/1066").get_data(as_text=True)
