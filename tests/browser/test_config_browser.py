"""An admin merges a legacy number (号码整合) from the page alone, in a real Chromium, on the real hotline:
the next call hears the notice and is tagged merged; one click restores the line."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.integration.test_line_modes import pbx_log_of, played
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def admin_page(hotline, browser):
    hotline.start_service("web")
    base = f"http://127.0.0.1:{hotline.settings.ports.web}"
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(hotline.passwords["admin"])
    browser.find_element(By.CSS_SELECTOR, "form button, form input[type=submit]").click()
    wait_for(lambda: "/login" not in browser.current_url, 10, "the admin logged in", interval=0.05)
    yield base
    browser.get("about:blank")
    hotline.stop_service("web")


def heard(hotline, mark: int, text: str) -> None:
    wait_for(lambda: text in hotline.agi_log()[mark:], 20, f"FastAGI log: {text}", interval=0.1)


def test_merge_a_legacy_number_from_the_page_and_restore_it(hotline, browser, admin_page):
    browser.get(f"{admin_page}/admin/config/")
    browser.find_element(By.LINK_TEXT, "12319").click()
    Select(browser.find_element(By.ID, "f-mode")).select_by_visible_text("merged")
    notice = browser.find_element(By.ID, "f-notice_until")
    notice.clear()
    notice.send_keys("2099-12-31")
    browser.find_element(By.ID, "f-note").send_keys("12319 并入 12345")
    mark = len(hotline.agi_log())
    browser.find_element(By.XPATH, "//button[contains(., '保存')]").click()
    wait_for(lambda: "saved as version" in browser.page_source, 10, "the saved page", interval=0.05)
    history = browser.find_element(By.ID, "history").text
    assert "mode: dual → merged" in history and "admin" in history and "12319 并入 12345" in history
    heard(hotline, mark, "configuration changed (line:12319)")

    record = hotline.call("12319", "--dtmf", "1", "--dtmf-delay", "9", "--hangup-after", "4")
    assert record["line"]["mode"] == "merged" and record["outcome"] == "answered"
    assert played(pbx_log_of(hotline, record), "hotline/merged-notice")

    mark = len(hotline.agi_log())
    browser.find_element(By.ID, "restore").click()
    wait_for(lambda: "restored" in browser.page_source, 10, "the restored page", interval=0.05)
    assert Select(browser.find_element(By.ID, "f-mode")).first_selected_option.text == "dual"
    heard(hotline, mark, "configuration changed (line:12319)")
    assert hotline.call("12319", "--hangup-after", "5")["line"]["mode"] == "dual"
