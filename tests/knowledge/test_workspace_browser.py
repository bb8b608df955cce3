"""The agent workspace's knowledge suggestions in a real headless Chromium, against the real panel.

The panel runs in a thread (werkzeug) on a migrated and seeded SQLite database;
no Asterisk is needed: the suggestion box works with or without a call.
"""
from __future__ import annotations

import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from werkzeug.serving import make_server

from db.models import ArticleUse, Ticket
from hotline.config import Settings
from tests.support.databases import fresh_sqlite_database, migrate_and_seed
from web import create_app

COUNT_SEARCHES = """
window.kbSearches = [];
const original = window.fetch;
window.fetch = (url, options) => {
  if (String(url).includes('/api/v1/knowledge')) window.kbSearches.push(String(url));
  return original(url, options);
};"""


@pytest.fixture
def panel(tmp_path):
    with fresh_sqlite_database(tmp_path) as url:
        passwords = migrate_and_seed(url)
        settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": url,
                                      "HOTLINE_REDIS_PREFIX": "hltest-knowledge-browser:"})
        app = create_app({"HOTLINE_SETTINGS": settings, "TICKET_EFFECTS": "record"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, f"http://127.0.0.1:{server.server_port}", passwords
        finally:
            server.shutdown()
            thread.join(10)
            app.extensions["hotline_sessions"].kw["bind"].dispose()


def until(browser, script: str, what: str, timeout: float = 10):
    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(script))
    except Exception as exc:
        raise AssertionError(f"the page did not show {what} within {timeout}s") from exc


def test_suggestions_follow_the_description_and_the_agent_attaches_the_answer(panel, browser):
    app, base, passwords = panel
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("agent1001")
    browser.find_element(By.NAME, "password").send_keys(passwords["agent1001"])
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    until(browser, "return location.pathname === '/agent/'", "the workspace")
    browser.execute_script(COUNT_SEARCHES)

    browser.find_element(By.ID, "description").send_keys("市民来电询问公积金怎么提取")
    first = until(browser, "const li = document.querySelector('#kb-suggestions li'); return li && li.dataset.code",
                  "a suggestion")
    assert first == "KB00001"
    titles = browser.execute_script("return [...document.querySelectorAll('#kb-suggestions li strong')]"
                                    ".map(e => e.textContent)")
    assert titles[0] == "住房公积金怎么提取？提取条件和办理方式" and 1 < len(titles) <= 5
    searches = browser.execute_script("return window.kbSearches")
    assert len(searches) == 1, searches   # typed in one go: one search after the pause, not one per keystroke

    # a typed query wins over the description
    browser.find_element(By.ID, "kb-q").send_keys("停水了")
    first_is = "const li = document.querySelector('#kb-suggestions li'); return li && li.dataset.code === '{}'"
    until(browser, first_is.format("KB00016"), "the water article first")
    browser.find_element(By.ID, "kb-q").clear()
    browser.execute_script("document.getElementById('kb-q').dispatchEvent(new Event('input'))")
    until(browser, first_is.format("KB00001"), "the description's suggestions again")

    browser.find_element(By.CSS_SELECTOR, "#kb-suggestions li[data-code='KB00001'] button.kb-use").click()
    assert browser.find_element(By.ID, "kb-attached").get_attribute("value") == "KB00001"
    assert "KB00001" in browser.find_element(By.ID, "kb-attached-label").text
    reply = browser.find_element(By.NAME, "reply").get_attribute("value")
    assert reply.startswith("购买、建造、翻建、大修自住住房")

    Select(browser.find_element(By.NAME, "category")).select_by_value("consultation")
    Select(browser.find_element(By.ID, "topic")).select_by_value("social-housing-fund")
    browser.find_element(By.NAME, "caller_phone").send_keys("13800138000")
    browser.find_element(By.CSS_SELECTOR, "input[name=action][value=resolve]").click()
    browser.find_element(By.CSS_SELECTOR, "#ticket-form button:not([type=button])").click()
    until(browser, "return location.search.includes('done=')", "the saved ticket")
    with app.extensions["hotline_sessions"]() as s:
        use = s.scalar(select(ArticleUse).join(Ticket).where(Ticket.caller_phone == "13800138000"))
        assert use is not None and use.article.code == "KB00001" and use.ticket.resolved_on_call
