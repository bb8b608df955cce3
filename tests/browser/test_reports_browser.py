"""The district map (民情地图) and a report page in a real headless Chromium, under the panel's CSP.

The map is drawn by the vendored ECharts from the GeoJSON the panel ships, each
district coloured by its tickets per km²; the report page loads with no script
error and no CSP violation, and prints (Chromium's own PDF) without the panel's
header.
"""
from __future__ import annotations

import base64
import datetime as dt
import threading

import pytest
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

from db.session import make_engine, make_session_factory, session_scope
from hotline.config import Settings
from tests.support.databases import fresh_sqlite_database, migrate_and_seed
from tests.support.waiting import wait_for
from tickets.intake import create_ticket
from tickets.workflow import Actor
from web import create_app

DAY = "2026-03-02"
BJ = dt.timedelta(hours=8)
CATCH = """window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
window.addEventListener('unhandledrejection', function (e) { window.__errors.push(String(e.reason)); });
document.addEventListener('securitypolicyviolation', function (e) { window.__errors.push('CSP ' + e.violatedDirective); });"""


def wait_js(browser, script: str, ok, what: str, timeout: float = 10):
    def seen():
        value = browser.execute_script(script)
        return (value,) if ok(value) else None
    return wait_for(seen, timeout, f"the page showing {what}", interval=0.02)[0]


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports-browser")
    with fresh_sqlite_database(folder) as url:
        passwords = migrate_and_seed(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as s:
            agent = Actor("agent1001", "agent")
            for district, n in (("lixia", 3), ("shizhong", 1)):
                for _ in range(n):
                    create_ticket(s, {"category": "complaint", "topic": "market-food", "description": "饭店卫生差",
                                      "caller_phone": "13900001111", "district": district}, agent,
                                  now=dt.datetime.fromisoformat(f"{DAY} 11:00") - BJ)
        engine.dispose()
        settings = Settings.from_env({"HOTLINE_RUN_DIR": str(folder / "run"), "DATABASE_URL": url,
                                      "HOTLINE_REDIS_PREFIX": "hltest-reports-browser:"})
        server = make_server("127.0.0.1", 0, create_app({"HOTLINE_SETTINGS": settings}), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", passwords["supervisor"]
        finally:
            server.shutdown()
            thread.join(10)


@pytest.fixture(scope="module")
def logged_in(panel, browser):
    base, password = panel
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH})
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("supervisor")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    wait_js(browser, "return location.pathname", lambda p: p != "/login", "the supervisor's home")
    return base


def test_the_map_draws_the_districts_coloured_by_density(logged_in, browser):
    browser.get(f"{logged_in}/supervisor/hotspots/map?from={DAY}&to={DAY}")
    wait_js(browser, "return document.getElementById('map').dataset.drawn", lambda v: v == "2", "the map drawn")
    wait_js(browser, "var c = document.querySelector('#map canvas'); return c ? [c.width, c.height] : null",
            lambda s: s and s[0] > 300 and s[1] > 300, "a drawn canvas")
    option = browser.execute_script("var o = echarts.getInstanceByDom(document.getElementById('map')).getOption();"
                                    "return [o.series[0].type, o.series[0].data.map(d => [d.code, d.tickets])]")
    assert option[0] == "map" and sorted(map(tuple, option[1])) == [("lixia", 3), ("shizhong", 1)]
    # the two districts get different colours: 历下区 is denser
    colours = browser.execute_script(
        "var c = echarts.getInstanceByDom(document.getElementById('map'));"
        "var m = c.getModel().getSeriesByIndex(0).getData();"
        "return [0, 1].map(i => [m.getName(i), m.getItemVisual(i, 'style').fill]);")
    fills = dict(map(tuple, colours))
    assert set(fills) == {"历下区", "市中区"} and fills["历下区"] != fills["市中区"]
    assert browser.execute_script("return window.__errors") == []


def test_the_report_page_loads_clean_and_prints_without_the_panel_header(logged_in, browser, tmp_path):
    browser.get(f"{logged_in}/supervisor/reports/daily?on={DAY}")
    wait_js(browser, "return document.readyState", lambda v: v == "complete", "the report")
    assert "日报" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.execute_script("return window.__errors") == []
    assert browser.execute_script("return getComputedStyle(document.querySelector('header')).display") != "none"
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script("return getComputedStyle(document.querySelector('header')).display") == "none"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})["data"])
    assert pdf.startswith(b"%PDF")
