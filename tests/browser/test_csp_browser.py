"""The Content-Security-Policy does not break the panel's own scripts, in a real headless Chromium.

The panel runs as in production (gunicorn); Chromium reports every CSP
violation on its console, and each page's scripts must visibly do their work:
the login form, the agent workspace's inline (nonce'd) script, the agent state
panel in its same-origin frame, the wallboard's script and its live stream.
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.test_wallboard_browser import wait_dom
from tests.support.databases import migrate_and_seed
from tests.support.web_server import gunicorn_panel


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csp")
    url = f"sqlite:///{folder / 'hotline.db'}"
    passwords = migrate_and_seed(url)
    with gunicorn_panel(folder / "run", url, folder / "web.log", "hltest-websec-browser:") as base:
        yield base, passwords


def csp_violations(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")
            if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]]


def log_in(browser, base, username, password):
    browser.delete_all_cookies()
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    wait_dom(browser, "return location.pathname", lambda p: p != "/login", 10, "the role's start page")


def test_the_agent_workspace_scripts_run_under_the_policy(browser, panel):
    base, passwords = panel
    browser.get_log("browser")  # start with an empty console
    log_in(browser, base, "agent1001", passwords["agent1001"])
    assert browser.execute_script("return location.pathname") == "/agent/"
    # the inline script (nonce'd): choosing a topic proposes its department
    topic = Select(browser.find_element(By.ID, "topic"))
    option = next(o for o in topic.options if o.get_attribute("data-department"))
    topic.select_by_value(option.get_attribute("value"))
    wait_dom(browser, "return document.querySelector('select[name=department]').value",
             lambda v: v == option.get_attribute("data-department"), 5, "the proposed department")
    # styles from the nonce'd <style> apply (the two columns side by side)
    assert browser.execute_script("return getComputedStyle(document.querySelector('.cols')).display") == "flex"
    # the state panel in its frame (frame-ancestors 'self' for it alone) and its script
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.state-panel")
    browser.switch_to.frame(frame)
    try:
        wait_dom(browser, "const r = document.getElementById('agent-state'); return r && r.dataset.started",
                 lambda v: v == "1", 10, "the agent state panel's script")
    finally:
        browser.switch_to.default_content()
    assert csp_violations(browser) == []


def test_the_wallboard_script_and_stream_run_under_the_policy(browser, panel):
    base, passwords = panel
    browser.get_log("browser")
    log_in(browser, base, "supervisor", passwords["supervisor"])
    browser.get(f"{base}/supervisor/wallboard/")
    # board.js ran and its EventSource (connect-src 'self') delivered a snapshot: no AMI listener here
    wait_dom(browser, "return document.getElementById('live-status').textContent",
             lambda t: "AMI down" in t or "live" in t, 10, "a snapshot from the live stream")
    browser.get("about:blank")  # close the stream
    assert csp_violations(browser) == []


def test_the_policy_really_blocks_an_injected_inline_script(browser, panel):
    """The check above is meaningful: a script without the nonce is refused and reported."""
    base, passwords = panel
    log_in(browser, base, "admin", passwords["admin"])
    browser.get(f"{base}/admin/security/")
    browser.get_log("browser")
    ran = browser.execute_async_script("""
        const done = arguments[0];
        document.addEventListener('securitypolicyviolation', (e) => done('blocked: ' + e.violatedDirective));
        const s = document.createElement('script'); s.textContent = 'window.injected = 1;';
        document.body.append(s);
        setTimeout(() => done(window.injected ? 'ran' : 'not run'), 2000);
    """)
    assert ran.startswith("blocked: script-src")
