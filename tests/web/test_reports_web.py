"""Hotspots, the district map and the daily/weekly/monthly reports on the web: roles, figures, CSV and PDF."""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess

import pytest
from pypdf import PdfReader

from db.models import Call, CallOutcome
from tickets.context import Actor
from tickets.intake import create_ticket

BJ = dt.timedelta(hours=8)
DAY = dt.date(2025, 9, 1)   # a Monday no other test of this module writes on
AGENT = Actor("agent1001", "agent")
PAGES = ["/supervisor/hotspots/", "/supervisor/hotspots/map", "/supervisor/reports/",
         f"/supervisor/reports/daily?on={DAY}", f"/supervisor/reports/weekly?on={DAY}",
         "/supervisor/reports/monthly?on=2025-09", f"/supervisor/reports/daily.pdf?on={DAY}"]


@pytest.fixture(scope="module")
def tickets(db_session):
    """DAY: 6 water tickets in 市中区 (1 on each of the 4 Mondays before) and 2 food tickets in 历下区; a repeat caller."""
    def add(n, at, topic, district):
        for _ in range(n):
            create_ticket(s, {"category": "complaint", "topic": topic, "district": district, "caller_phone": "13511112222",
                              "description": "报表测试"}, AGENT, now=at - BJ)
    with db_session() as s:
        add(6, dt.datetime.combine(DAY, dt.time(10)), "utilities-water", "shizhong")
        for weeks in (1, 2, 3, 4):
            add(1, dt.datetime.combine(DAY - dt.timedelta(weeks=weeks), dt.time(10)), "utilities-water", "shizhong")
        add(2, dt.datetime.combine(DAY, dt.time(23, 30)), "market-food", "lixia")
        for i in range(4):
            s.add(Call(uniqueid=f"rep-web-{i}", caller="13712345678", dialed_number="12345",
                       arrived_at=dt.datetime.combine(DAY, dt.time(9 + i)) - BJ, outcome=CallOutcome.answered))
            s.add(Call(uniqueid=f"rep-web-anon-{i}", caller="anonymous", dialed_number="12345",
                       arrived_at=dt.datetime.combine(DAY, dt.time(9 + i)) - BJ, outcome=CallOutcome.abandoned))
        s.commit()


@pytest.mark.parametrize("role, status", [("agent", 403), ("clerk", 403), ("reviewer", 200), ("supervisor", 200),
                                          ("admin", 200)])
def test_who_may_open_the_hotspot_and_report_pages(as_role, tickets, role, status):
    for path in PAGES:
        assert as_role(role).get(path).status_code == status, path


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_hotspots_show_the_spike_the_top_topics_and_the_repeat_caller(as_role, tickets):
    client = as_role("supervisor")
    q = f"from={DAY}&to={DAY}&day={DAY}"
    topics = read_csv(client.get(f"/supervisor/hotspots/?{q}&format=csv&table=topics"))
    assert [(r["code"], r["tickets"]) for r in topics] == [("utilities-water", "6"), ("market-food", "2")]
    [water] = [r for r in read_csv(client.get(f"/supervisor/hotspots/?{q}&format=csv&table=spikes_topic"))
               if r["code"] == "utilities-water"]
    # mean 1, today 6: z = 5, p = P(X ≥ 6 | 1) = 1 − e^-1 (1 + 1 + 1/2 + 1/6 + 1/24 + 1/120) ≈ 0.00059
    assert water["baseline (same weekday, last 4 weeks)"] == "1 1 1 1" and water["z"] == "5.0"
    assert water["p"] == "0.00059" and water["spike"] == "yes"
    repeats = read_csv(client.get(f"/supervisor/hotspots/?{q}&format=csv&table=repeat_callers"))
    assert [(r["calls"]) for r in repeats] == ["4"] and repeats[0]["caller"] != "13712345678"  # masked
    assert client.get(f"/supervisor/hotspots/?{q}&format=csv&table=nope").status_code == 400
    assert client.get("/supervisor/hotspots/?day=yesterday").status_code == 400


def test_the_map_counts_tickets_per_km2_of_each_district(as_role, tickets):
    rows = read_csv(as_role("reviewer").get(f"/supervisor/hotspots/map?from={DAY}&to={DAY}&format=csv"))
    places = {r["code"]: r for r in rows}
    assert set(places) == {"lixia", "shizhong"}
    assert (places["shizhong"]["tickets"], places["lixia"]["tickets"]) == ("6", "2")
    area = float(places["shizhong"]["area_km2"])
    assert 50 < area < 300 and float(places["shizhong"]["tickets_per_km2"]) == pytest.approx(6 / area, abs=1e-3)
    assert as_role("reviewer").get("/supervisor/hotspots/map?level=planet").status_code == 400


def test_the_daily_report_page_and_its_pdf(as_role, tickets, tmp_path):
    client = as_role("supervisor")
    page = client.get(f"/supervisor/reports/daily?on={DAY}").get_data(as_text=True)
    assert "日报" in page and "人工接通率" in page and "突增" in page and "style=\"" not in page
    assert "回拨率" in page and "回拨时长中位数" in page and "评价3基本满意量" in page   # callbacks, 一次一评
    response = client.get(f"/supervisor/reports/daily.pdf?on={DAY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "daily.pdf"
    pdf.write_bytes(response.data)
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "日报" in text and "人工接通率" in text and str(DAY) in text and "供水" in text
    assert "回拨率" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000


@pytest.mark.parametrize("path, first, last", [("weekly?on=2025-09-03", "2025-09-01", "2025-09-07"),
                                               ("monthly?on=2025-02", "2025-02-01", "2025-02-28")])
def test_weekly_and_monthly_reports_cover_their_whole_period(as_role, path, first, last):
    page = as_role("reviewer").get(f"/supervisor/reports/{path}").get_data(as_text=True)
    assert f"{first} – {last}" in page


@pytest.mark.parametrize("path", ["daily?on=2025-13-01", "monthly?on=May", "yearly"])
def test_bad_report_input_is_a_clear_400(as_role, path):
    assert as_role("reviewer").get(f"/supervisor/reports/{path}").status_code == 400
