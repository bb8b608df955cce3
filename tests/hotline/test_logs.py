"""Phone numbers masked in every log line; log files 0640; the real gunicorn access log of the panel."""
from __future__ import annotations

import logging
import os
import stat
import urllib.error
import urllib.request

import pytest

from hotline.logs import (
    LOG_FILE_MODE,
    PhoneMaskingFilter,
    install_phone_masking,
    mask_phones,
    open_log,
    secure_log_files,
)


@pytest.mark.parametrize("text, masked", [
    ("GET /api/v1/tickets?phone=13800138000 HTTP/1.1", "GET /api/v1/tickets?phone=138****8000 HTTP/1.1"),
    ("from +8613912345678 and 008613912345678", "from 139****5678 and 139****5678"),
    ("phone=%2B8613800138000&x=1", "phone=138****8000&x=1"),
    ("landline 0531-88887777, 053188887777", "landline 053****7777, 053****7777"),
    ("caller='13800138000'", "caller='138****8000'"),
    ("next=/agent/%3Fphone%3D15011112222&a=%2013800138000", "next=/agent/%3Fphone%3D150****2222&a=%20138****8000"),
])
def test_numbers_are_masked(text, masked):
    assert mask_phones(text) == masked


@pytest.mark.parametrize("text", [
    "call 1701234567.12 answered", "linkedid 1733030400.5 uniqueid 1733030400123.7", "ticket GD202612010001",
    "port 5060, 10 calls, 12345 hotline, 12315 line", "took 75 ms",
])
def test_ids_times_and_short_numbers_are_left_alone(text):
    assert mask_phones(text) == text


def test_every_record_of_the_process_is_masked_once_installed(caplog):
    install_phone_masking()
    install_phone_masking()  # twice is harmless
    log = logging.getLogger("tests.logs")
    with caplog.at_level(logging.INFO):
        log.info("call from %s to %s", "13800138000", "12345")
        try:
            raise ValueError("bad caller 13912345678")
        except ValueError:
            log.exception("failed for %r", {"phone": "13700001111"})
    text = caplog.text
    assert "13800138000" not in text and "138****8000" in text and "12345" in text
    assert "13912345678" not in text and "139****5678" in text  # in the traceback too
    assert "13700001111" not in text


def test_the_filter_masks_for_a_handler_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sms to %s", ("15912345678",), None)
    assert PhoneMaskingFilter().filter(record) and record.getMessage() == "sms to 159****5678"


def test_log_files_are_opened_0640_and_older_ones_fixed(tmp_path):
    old_umask = os.umask(0o022)
    try:
        with open_log(tmp_path / "log" / "agi.log") as f:
            f.write(b"line\n")
        assert stat.S_IMODE((tmp_path / "log" / "agi.log").stat().st_mode) == LOG_FILE_MODE
        loose = tmp_path / "log" / "asterisk-pbx.log"
        loose.write_text("x")
        loose.chmod(0o644)
        with open_log(loose) as f:
            f.write(b"more\n")
        assert stat.S_IMODE(loose.stat().st_mode) == 0o640 and loose.read_text() == "xmore\n"
        other = tmp_path / "log" / "web.log"
        other.write_text("x")
        other.chmod(0o644)
        assert secure_log_files(tmp_path / "log") == [other]
        assert stat.S_IMODE(other.stat().st_mode) == 0o640
    finally:
        os.umask(old_umask)


def test_the_real_gunicorn_access_log_holds_no_citizen_numbers(tmp_path):
    """The panel as `hotline web serve` runs it (gunicorn, access log to stdout → web.log)."""
    from db.migrate import upgrade
    from tests.support.web_server import gunicorn_panel

    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(url)
    log = tmp_path / "web.log"
    with gunicorn_panel(tmp_path / "run", url, log, "hltest-websec-log:") as base:
        for path in ("/api/v1/tickets?phone=13800138000", "/open311/v2/requests.json?phone=%2B8613912345678",
                     "/login?next=/agent/%3Fphone%3D15011112222"):
            try:
                urllib.request.urlopen(f"{base}{path}", timeout=5).read()
            except urllib.error.HTTPError:
                pass
    text = log.read_text()  # gunicorn has stopped: every access line is written
    assert "GET /api/v1/tickets?phone=138****8000" in text and "phone%3D150****2222" in text, text
    for number in ("13800138000", "8613912345678", "15011112222"):
        assert number not in text, text
    assert stat.S_IMODE(log.stat().st_mode) == 0o640
