"""KPIs on the web: ``GET /api/v1/kpis`` checked against its OpenAPI document, the CSV export,
the dashboard page, and who may read which figures."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from jsonschema import Draft202012Validator

from db.models import Call, Callback, CallbackStatus, CallOutcome, Line
from kpis.formulas import CALL_FORMULAS
from web.api import openapi_document

DOC = openapi_document()
DAY = "2025-06-02"            # a Monday no other test of this module writes on
BJ = dt.timedelta(hours=8)
Q = f"from={DAY}&to={DAY}"


def conforms(response):
    spec = DOC["paths"]["/kpis"]["get"]["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = DOC["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    schema = spec["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": DOC["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, errors
    return response.get_json()


@pytest.fixture(scope="module")
def calls(db_session):
    """Three calls on DAY at 10:00 Beijing: answered in 10 s on 12345, answered in 30 s and abandoned on 12315."""
    with db_session() as s:
        lines = {line.number: line for line in s.query(Line)}
        for n, (line, wait, talk) in enumerate((("12345", 10, 100), ("12315", 30, 200), ("12315", 40, None))):
            joined = dt.datetime.fromisoformat(f"{DAY} 10:0{n}") - BJ
            answered = joined + dt.timedelta(seconds=wait) if talk else None
            s.add(Call(uniqueid=f"kpi-web-{n}", caller="13800000000", dialed_number=line,
                       line_id=lines[line].id, department_id=lines[line].department_id, arrived_at=joined,
                       queue_joined_at=joined, answered_at=answered, queue_name="12345",
                       ended_at=(answered or joined) + dt.timedelta(seconds=talk or wait),
                       outcome=CallOutcome.answered if talk else CallOutcome.abandoned,
                       wait_seconds=wait, talk_seconds=talk, rating=1 if n == 0 else None))
        s.flush()
        # 漏接回拨: the abandoned call (ended 10:02:40) is called back at 10:20, inside its target (10:32:40)
        missed = s.query(Call).filter_by(uniqueid="kpi-web-2").one()
        s.add(Callback(caller=missed.caller, centre_day=dt.date.fromisoformat(DAY), source="abandoned",
                       status=CallbackStatus.reached, attempt_count=1, created_at=missed.ended_at,
                       due_at=missed.ended_at + dt.timedelta(minutes=30),
                       reached_at=dt.datetime.fromisoformat(f"{DAY} 10:20") - BJ, calls=[missed]))
        s.commit()


@pytest.mark.parametrize("role, api, page", [("agent", 403, 403), ("clerk", 200, 403), ("reviewer", 200, 200),
                                             ("supervisor", 200, 200), ("admin", 200, 200)])
def test_who_may_read_the_figures(as_role, calls, role, api, page):
    client = as_role(role)
    response = client.get(f"/api/v1/kpis?{Q}")
    assert response.status_code == api
    conforms(response)
    assert client.get(f"/supervisor/kpis/?{Q}").status_code == page
    assert client.get(f"/supervisor/kpis/export.csv?{Q}").status_code == page


def test_anonymous_gets_401_from_the_api(ticket_app):
    response = ticket_app.test_client().get(f"/api/v1/kpis?{Q}")
    assert response.status_code == 401 and conforms(response)["error"]["id"] == "login_required"


def test_the_api_gives_each_figure_with_numerator_denominator_and_formula(as_role, calls):
    body = conforms(as_role("supervisor").get(f"/api/v1/kpis?{Q}"))
    assert body["period"] == {"from": DAY, "to": DAY, "timezone": "Asia/Shanghai"}
    [row] = body["calls"]
    answer = row["figures"]["answer_rate"]
    assert (answer["numerator"], answer["denominator"]) == (2, 3) and answer["value"] == 0.6667
    assert answer["formula"] == {"zh": "人工接通率", "en": "answer rate",
                                 "text": "answered / (offered − short abandons)", "target": 0.95}
    sl = row["figures"]["sl_rate"]
    assert (sl["numerator"], sl["denominator"]) == (1, 2)
    by_line = conforms(as_role("supervisor").get(f"/api/v1/kpis?{Q}&by=line&family=calls"))
    assert by_line["tickets"] is None
    lines = {r["key"]["line"]: r["figures"]["offered"]["value"] for r in by_line["calls"]}
    assert lines == {"12345": 1, "12315": 2}
    heat = conforms(as_role("reviewer").get(f"/api/v1/kpis?{Q}&by=weekday,hour&family=calls"))
    cells = {(r["key"]["weekday"], r["key"]["hour"]): r["figures"]["offered"]["value"] for r in heat["calls"]}
    assert len(cells) == 168 and cells[(1, 10)] == 3 and sum(cells.values()) == 3
    topics = conforms(as_role("reviewer").get(f"/api/v1/kpis?{Q}&by=topic"))
    assert topics["calls"] is None and "calls have no topic" in topics["notes"][0]


def test_a_department_reads_only_its_own_figures(as_role, calls):
    clerk = as_role("clerk")   # scjgj, the owner of the dual line 12315
    body = conforms(clerk.get(f"/api/v1/kpis?{Q}&family=calls"))
    assert body["filters"] == {"department": "scjgj"}
    assert body["calls"][0]["figures"]["offered"]["value"] == 2
    response = clerk.get(f"/api/v1/kpis?{Q}&department=cgj")
    assert response.status_code == 403 and conforms(response)["error"]["id"] == "not_allowed"


@pytest.mark.parametrize("query, field", [("from=yesterday", "from"), ("by=colour", "by"),
                                          (f"{Q}&line=99999", "line"), ("from=2025-06-05&to=2025-06-01", "to"),
                                          (f"{Q}&family=faxes", "family"), (f"{Q}&by=hour,hour", "by")])
def test_bad_input_says_which_field_and_why(as_role, query, field):
    response = as_role("supervisor").get(f"/api/v1/kpis?{query}")
    assert response.status_code == 400
    assert field in conforms(response)["error"]["fields"]


def test_csv_export_of_the_table(as_role, calls):
    response = as_role("supervisor").get(f"/api/v1/kpis?{Q}&by=line&family=calls&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="kpis_{DAY}_{DAY}_by_line.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    answer = next(r for r in rows if r["line"] == "12315" and r["kpi"] == "answer_rate")
    assert (answer["指标"], answer["value"], answer["numerator"], answer["denominator"]) == ("人工接通率", "0.5", "1", "2")
    assert answer["line_label"] == "市场监管投诉举报热线"
    page_csv = as_role("supervisor").get(f"/supervisor/kpis/export.csv?{Q}&by=line&family=calls")
    assert page_csv.get_data(as_text=True) == text


def test_the_dashboard_shows_each_number_with_its_formula_and_serves_its_chart_library(as_role, calls):
    client = as_role("supervisor")
    page = client.get(f"/supervisor/kpis/?{Q}").get_data(as_text=True)
    assert "人工接通率" in page and "66.7%" in page and "2 / 3 · answered / (offered − short abandons)" in page
    assert "按时办结率" in page and 'id="chart-heatmap"' in page
    assert "/static/vendor/echarts/echarts.min.js" in page and "http" not in page.split("<main>")[1].split(
        'id="kpi-charts"')[0].replace("http-equiv", "")   # nothing fetched from elsewhere
    library = client.get("/static/vendor/echarts/echarts.min.js")
    assert library.status_code == 200 and len(library.data) > 500_000
    assert 'href="/supervisor/kpis/"' in client.get("/centre/").get_data(as_text=True)   # in the header


def test_the_api_csv_and_dashboard_give_the_callback_and_rating_figures(as_role, calls):
    described = DOC["components"]["schemas"]["KpiCallRow"]["allOf"][1]["properties"]["figures"]["required"]
    assert described == [f.key for f in CALL_FORMULAS]          # the OpenAPI document names every call figure
    [row] = conforms(as_role("supervisor").get(f"/api/v1/kpis?{Q}&family=calls"))["calls"]
    f = row["figures"]
    assert (f["callback_rate"]["numerator"], f["callback_rate"]["denominator"]) == (1, 1)
    assert f["callback_on_target_rate"]["value"] == 1.0 and f["callback_requests"]["value"] == 1
    assert f["median_time_to_callback"]["value"] == 1040.0 and f["longest_time_to_callback"]["value"] == 1040.0
    assert f["rated_1"]["value"] == 1 and f["unrated"]["value"] == 1 and f["call_satisfaction_rate"]["value"] == 1.0
    text = as_role("supervisor").get(f"/api/v1/kpis?{Q}&family=calls&format=csv").get_data(as_text=True)
    rows = {r["kpi"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert (rows["callback_rate"]["指标"], rows["callback_rate"]["value"]) == ("回拨率", "1.0")
    assert rows["average_time_to_callback"]["numerator"] == "1040.0"
    page = as_role("supervisor").get(f"/supervisor/kpis/?{Q}").get_data(as_text=True)
    assert 'data-kpi="callback_rate"' in page and "平均回拨时长" in page and "1040.0 s" in page
    assert 'data-kpi="rated_5"' in page and "评价5非常不满意量" in page
