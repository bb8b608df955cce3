"""The KPI dashboard in a real headless Chromium: the charts are drawn by the bundled ECharts
(served by the app itself) and the page raises no JavaScript error.

The app runs in a real WSGI server (werkzeug) on a migrated, seeded SQLite
database with a few calls and tickets; no Asterisk is needed for this page.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

from db.models import Call, CallOutcome, Line
from db.session import make_engine, make_session_factory, session_scope
from hotline.config import Settings
from tests.support.databases import fresh_sqlite_database, migrate_and_seed
from tests.support.waiting import wait_for
from tickets.intake import create_ticket
from tickets.workflow import Actor, transition
from web import create_app

DAY = "2026-03-02"
BJ = dt.timedelta(hours=8)
CHARTS = ("chart-hourly", "chart-daily", "chart-heatmap", "chart-lines", "chart-departments")
# collect errors from the first script on, before the page's own scripts run
CATCH_ERRORS = """window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
window.addEventListener('unhandledrejection', function (e) { window.__errors.push(String(e.reason)); });"""


def wait_dom(browser, script: str, ok, timeout: float, what: str):
    """The page's value of ``script`` once ``ok`` holds for it."""
    def seen():
        value = browser.execute_script(script)
        return (value,) if ok(value) else None
    return wait_for(seen, timeout, f"the page showing {what}", interval=0.02)[0]


def some_calls_and_tickets(url: str) -> None:
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        lines = {line.number: line for line in s.query(Line)}
        for n, (line, hour, wait, talk) in enumerate((("12345", 9, 8, 120), ("12315", 10, 25, 200),
                                                       ("12315", 10, 40, None), ("12319", 15, 5, 90))):
            joined = dt.datetime.fromisoformat(f"{DAY} {hour:02d}:00") - BJ
            answered = joined + dt.timedelta(seconds=wait) if talk else None
            s.add(Call(uniqueid=f"kpi-browser-{n}", caller="13800000000", dialed_number=line,
                       line_id=lines[line].id, department_id=lines[line].department_id, arrived_at=joined,
                       queue_joined_at=joined, answered_at=answered, queue_name="12345",
                       ended_at=(answered or joined) + dt.timedelta(seconds=talk or wait),
                       outcome=CallOutcome.answered if talk else CallOutcome.abandoned,
                       wait_seconds=wait, talk_seconds=talk))
        agent = Actor("agent1001", "agent")
        for department in ("scjgj", "cgj"):
            ticket = create_ticket(s, {"category": "complaint", "topic": "market-food", "description": "饭店卫生差",
                                       "caller_phone": "13900001111", "district": "lixia"}, agent,
                                   now=dt.datetime.fromisoformat(f"{DAY} 11:00") - BJ)
            transition(s, ticket, "dispatch", agent, params={"department": department},
                       now=dt.datetime.fromisoformat(f"{DAY} 11:05") - BJ)
    engine.dispose()


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """The real panel in a real HTTP server on a free port; yields (base URL, supervisor password)."""
    folder = tmp_path_factory.mktemp("kpis-browser")
    with fresh_sqlite_database(folder) as url:
        passwords = migrate_and_seed(url)
        some_calls_and_tickets(url)
        settings = Settings.from_env({"HOTLINE_RUN_DIR": str(folder / "run"), "DATABASE_URL": url,
                                      "HOTLINE_REDIS_PREFIX": "hltest-kpis-browser:"})
        server = make_server("127.0.0.1", 0, create_app({"HOTLINE_SETTINGS": settings}), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", passwords["supervisor"]
        finally:
            server.shutdown()
            thread.join(10)


def test_the_dashboard_draws_its_charts_without_errors(panel, browser):
    base, password = panel
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("supervisor")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    wait_dom(browser, "return location.pathname", lambda p: p != "/login", 10, "the supervisor's home")
    browser.get(f"{base}/supervisor/kpis/?from={DAY}&to={DAY}")
    wait_dom(browser, "return document.body.dataset.chartsReady", lambda n: n == str(len(CHARTS)), 10,
             "all five charts initialised")
    for chart in CHARTS:   # ECharts renders into a canvas inside each chart box, with a real size
        wait_dom(browser, f"var c = document.querySelector('#{chart} canvas');"
                 "return c ? [c.width, c.height] : null", lambda s: s and s[0] > 100 and s[1] > 100, 10,
                 f"a drawn canvas in #{chart}")
    assert browser.execute_script("return echarts.version") == "6.1.0"
    hourly = browser.execute_script("return echarts.getInstanceByDom(document.getElementById('chart-hourly'))"
                                    ".getOption().series[0].data")
    assert hourly[9] == 1 and hourly[10] == 2 and hourly[15] == 1 and sum(hourly) == 4
    heat = browser.execute_script("return echarts.getInstanceByDom(document.getElementById('chart-heatmap'))"
                                  ".getOption().series[0].data.filter(function (c) { return c[2] > 0; })")
    assert sorted(map(tuple, heat)) == [(9, 1, 1), (10, 1, 2), (15, 1, 1)]   # Monday = 1
    departments = browser.execute_script("return echarts.getInstanceByDom(document.getElementById("
                                         "'chart-departments')).getOption().xAxis[0].data")
    assert len(departments) == 2
    answer = browser.find_element(By.CSS_SELECTOR, "[data-kpi=answer_rate] .v").text
    assert answer == "75.0%"   # 3 answered / (4 offered − 0 short abandons)
    scripts = browser.execute_script("return Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    assert scripts and all(src.startswith(base) for src in scripts)   # nothing from a CDN
    assert browser.execute_script("return window.__errors") == []
