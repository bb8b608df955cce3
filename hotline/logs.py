"""Log files that do not leak citizens' numbers: masking and file modes.

Every process installs ``install_phone_masking()`` once at start: from then on
each log record's message (and traceback) has phone numbers masked as
``138****8000`` before any handler sees it, whichever logger wrote it (ours,
gunicorn's access log with its query strings, a library's). Log files are
opened with ``open_log()``: mode 0640, owner and group only.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

LOG_FILE_MODE = 0o640

# mainland mobiles (optionally +86/86/0086), landlines with area code (010-12345678, 0755 1234567),
# and any other run of 11..15 digits that is not part of a longer token (uniqueids like 1701234567.12
# keep their 10 digits: they are timestamps, shorter than a mobile number)
_START = r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![\w.%]))"  # after a separator, also a percent-encoded one (%3D)
_PHONE = re.compile(
    _START + r"(?:(?:%2B|\+|00)?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8})(?![\w])"
    r"|" + _START + r"\d{11,15}(?![\w.])"
)
_MARK = "_hotline_masked"


def mask_number(number: str) -> str:
    digits = re.sub(r"\D", "", number.replace("%2B", "+"))
    for country in ("0086", "86"):
        if digits.startswith(country) and len(digits) - len(country) == 11:
            digits = digits[len(country):]
    if len(digits) < 7:
        return "*" * len(number)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_phones(text: str) -> str:
    """``text`` with every phone number masked (keeps the first 3 and last 4 digits)."""
    return _PHONE.sub(lambda m: mask_number(m.group(0)), text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, _MARK, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it for logging's own error report
        return record
    record.msg, record.args = mask_phones(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_phones(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = mask_phones(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_phones(record.stack_info)
    setattr(record, _MARK, True)
    return record


class PhoneMaskingFilter(logging.Filter):
    """For a handler or a logging config (dictConfig, gunicorn ``logconfig_dict``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_phone_masking() -> None:
    """Mask numbers in every record this process makes from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MARK, False):
        return

    def masking_factory(*args, **kwargs):
        return mask_record(factory(*args, **kwargs))

    setattr(masking_factory, _MARK, True)
    logging.setLogRecordFactory(masking_factory)


def open_log(path: Path | str, mode: str = "ab"):
    """Open (create) a log file with mode 0640, also fixing an older file that was left 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
    os.fchmod(fd, LOG_FILE_MODE)
    return os.fdopen(fd, mode)


def secure_log_files(log_dir: Path | str) -> list[Path]:
    """Set every ``*.log`` under ``log_dir`` to 0640 (e.g. Asterisk's own logs); returns the files changed."""
    changed = []
    for path in Path(log_dir).glob("*.log*"):
        if path.is_file() and path.stat().st_mode & 0o777 != LOG_FILE_MODE:
            path.chmod(LOG_FILE_MODE)
            changed.append(path)
    return changed
