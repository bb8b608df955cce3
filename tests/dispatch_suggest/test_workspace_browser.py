"""In a real headless Chromium: the agent types, the hint appears with probabilities, one click fills the form.

The panel runs in a real HTTP server on loopback over a migrated SQLite database
with a model trained by the job from tickets written through the loop.
No skip when Chromium is missing: the test fails and says how to install it.
"""
from __future__ import annotations

import os
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from werkzeug.serving import make_server

from db.session import make_engine, make_session_factory, session_scope
from dispatch_suggest.jobs import retrain
from dispatch_suggest.synthetic import generate, write_history
from hotline.config import Settings
from tests.dispatch_suggest.conftest import MONDAY, NOW
from tests.support.browsers import headless_chromium
from tests.support.databases import fresh_sqlite_database, migrate_and_seed
from web import create_app


@pytest.fixture
def panel(tmp_path):
    """(base URL, the agent's password) of a panel with a trained suggestion model."""
    with fresh_sqlite_database(tmp_path) as url:
        passwords = migrate_and_seed(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            write_history(session, generate(300, seed=11), MONDAY)
        engine.dispose()
        settings = Settings.from_env({"HOTLINE_RUN_DIR": str(tmp_path / "run"), "DATABASE_URL": url,
                                      "HOTLINE_REDIS_PREFIX": "hltest-suggest-browser:"})
        assert retrain(url, str(settings.run_dir), now=NOW)["status"] == "trained"
        server = make_server("127.0.0.1", 0, create_app({"HOTLINE_SETTINGS": settings}), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", passwords["agent1001"]
        finally:
            server.shutdown()
            thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    with headless_chromium(tmp_path / "chromium") as driver:
        yield driver


def test_typing_a_description_shows_the_suggestion_and_one_click_applies_it(panel, browser):
    base, password = panel
    browser.get(base + "/login")
    browser.find_element(By.NAME, "username").send_keys("agent1001")
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "ticket-form"))
    browser.find_element(By.NAME, "address").send_keys("历下区泉城路12号")
    browser.find_element(By.NAME, "description").send_keys("市民来电反映小区楼道里燃气管道漏气, 闻到很大的燃气味")
    # the hint follows the typing (a request after each pause): wait for the one about the whole text
    hint = WebDriverWait(browser, 10).until(
        lambda b: "济南燃气集团" in b.find_element(By.ID, "dispatch-suggestion").text
        and b.find_element(By.ID, "dispatch-suggestion"))
    text = hint.text
    assert hint.is_displayed() and "公用事业 / 燃气" in text and "%" in text and "v1" in text
    if os.environ.get("HOTLINE_SCREENSHOTS"):
        browser.save_screenshot(os.path.join(os.environ["HOTLINE_SCREENSHOTS"], "dispatch_suggestion.png"))
    department = Select(browser.find_element(By.CSS_SELECTOR, "select[name=department]"))
    topic = Select(browser.find_element(By.ID, "topic"))
    assert topic.first_selected_option.get_attribute("value") == ""  # nothing changes before the agent clicks
    hint.find_element(By.CSS_SELECTOR, ".apply-suggestion").click()
    assert topic.first_selected_option.get_attribute("value") == "utilities-gas"
    assert department.first_selected_option.get_attribute("value") == "rqjt"
    assert browser.find_element(By.CSS_SELECTOR, "input[name=action][value=dispatch]").is_selected()
    # the agent decides: another suggested department is one click too, and any choice stays possible
    second = hint.find_elements(By.CSS_SELECTOR, ".suggested-department")[1]
    second.click()
    assert department.first_selected_option.get_attribute("value") != "rqjt"
