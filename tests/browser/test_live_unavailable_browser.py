"""Redis down, in a real Chromium: the wallboard shows "live state unavailable" and recovers by itself.

The web process is the real one (gunicorn, gevent, under supervisord) on a Redis of the test's own,
which the test kills and starts again (never the machine's shared Redis).
"""
from __future__ import annotations

import os
import secrets

import pytest
from selenium.webdriver.common.by import By

from hotline.config import Settings
from ops import services
from tests.browser.test_wallboard_browser import wait_dom
from tests.support.databases import migrate_and_seed
from tests.support.redis_server import RedisServer
from tests.support.telephony import TEST_PORT_OFFSET


@pytest.fixture(scope="module")
def web_on_own_redis(tmp_path_factory):
    run = tmp_path_factory.mktemp("web-own-redis")
    redis_server = RedisServer(run / "redis").start()
    env = {**os.environ, "HOTLINE_RUN_DIR": str(run), "HOTLINE_PORT_OFFSET": str(TEST_PORT_OFFSET),
           "REDIS_URL": redis_server.url, "HOTLINE_REDIS_PREFIX": f"hltest-br-{secrets.token_hex(3)}:",
           "DATABASE_URL": f"sqlite:///{run / 'hotline.db'}"}
    settings = Settings.from_env(env)
    passwords = migrate_and_seed(settings.database_url)
    saved = dict(os.environ)
    os.environ.update(env)                  # supervisord (and so the web process) inherits these
    try:
        services.start(settings, next(s for s in services.python_services(settings) if s.name == "web"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield settings, passwords, redis_server
    services.shutdown_supervisor(settings)
    redis_server.stop()


def test_the_wallboard_says_live_state_unavailable_and_comes_back(web_on_own_redis, browser):
    settings, passwords, redis_server = web_on_own_redis
    base = f"http://127.0.0.1:{settings.ports.web}"
    browser.delete_all_cookies()
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("supervisor")
    browser.find_element(By.NAME, "password").send_keys(passwords["supervisor"])
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait_dom(browser, "return location.pathname", lambda p: p == "/supervisor/wallboard/", 10, "the wallboard")
    banner = "return document.getElementById('live-unavailable').hidden"
    wait_dom(browser, "return document.getElementById('live-status').textContent",
             lambda t: "connecting" not in t, 10, "the first snapshot")
    assert browser.execute_script(banner) is True
    redis_server.stop()
    wait_dom(browser, banner, lambda hidden: hidden is False, 5, "the 'live state unavailable' banner")
    assert "unavailable" in browser.find_element(By.ID, "live-status").text
    redis_server.start()
    wait_dom(browser, banner, lambda hidden: hidden is True, 10, "the banner gone once Redis is back")
    browser.get("about:blank")
