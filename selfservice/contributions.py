"""Social-security contributions by phone (社保缴费查询): ask the line's department system, say the answer.

The caller keys an 18-character ID number (身份证号; the final X keyed as ``*``) and a
6-digit PIN (查询密码); ``ask`` sends them to the department system configured for the
line (``Line.self_service_url``, e.g. the demo's ``http://127.0.0.1:<port>/api/v1/contributions``)
through ``DepartmentClient`` and returns one of: the figures, "no match" (wrong ID or PIN),
or "unavailable" (slow, down, circuit open, nonsense answer).

The ID number and the PIN live in local variables of one call and in one request body:
they are never logged, stored, returned or put in a channel variable.  ``speech`` turns
the figures into ``Say`` steps (prompt fragments, SAY NUMBER / SAY DIGITS, Asterisk's
month names in English) so the wording is tested without Asterisk.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from selfservice.department_api import DepartmentClient, DepartmentUnavailable
from selfservice.progress import Say

ID_NUMBER = re.compile(r"\d{17}[\dX]")
PIN = re.compile(r"\d{6}")
ID_KEYS = 18                 # keys of an ID number (the final X as '*')
PIN_KEYS = 6
LAST_MONTH = re.compile(r"(\d{4})-(\d{2})")

ANSWERED, NO_MATCH, UNAVAILABLE = "answered", "no_match", "unavailable"


def id_number_from_keys(keys: str) -> str | None:
    """The ID number the caller keyed ('*' for the final X), or None when it cannot be one."""
    keys = (keys or "").strip().rstrip("#")
    if keys.endswith("*"):
        keys = keys[:-1] + "X"
    return keys if ID_NUMBER.fullmatch(keys) else None


def pin_from_keys(keys: str) -> str | None:
    keys = (keys or "").strip().rstrip("#")
    return keys if PIN.fullmatch(keys) else None


@dataclass(frozen=True)
class Contributions:
    """What is read out: no ID number, no PIN."""

    months_paid: int
    last_year: int
    last_month: int
    balance_yuan: int


@dataclass(frozen=True)
class Outcome:
    kind: str                               # ANSWERED | NO_MATCH | UNAVAILABLE
    figures: Contributions | None = None
    reason: str = ""                        # UNAVAILABLE: slow | down | open | bad_answer


_clients: dict[str, DepartmentClient] = {}
_clients_lock = threading.Lock()


def client_for(url: str) -> tuple[DepartmentClient, str]:
    """One client (one circuit breaker) per department system, shared by all calls; and the path to ask."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("a department system URL is http(s)://host[:port]/path")
    base = f"{parts.scheme}://{parts.netloc}"
    with _clients_lock:
        client = _clients.get(base)
        if client is None:
            client = _clients[base] = DepartmentClient(base, retries=1)
    return client, parts.path or "/"


def ask(url: str | None, id_number: str, pin: str) -> Outcome:
    if not url:
        return Outcome(UNAVAILABLE, reason="no_system")
    try:
        client, path = client_for(url)
    except ValueError:
        return Outcome(UNAVAILABLE, reason="bad_url")
    try:
        answer = client.query(path, id_number=id_number, pin=pin)
    except DepartmentUnavailable as exc:
        return Outcome(UNAVAILABLE, reason=exc.reason)
    fields = answer.fields
    if fields.get("status") in (401, 404) or fields.get("result") == "no_match":
        return Outcome(NO_MATCH)
    try:
        year, month = LAST_MONTH.fullmatch(str(fields["last_month"])).groups()
        figures = Contributions(int(fields["months_paid"]), int(year), int(month), int(fields["balance_yuan"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return Outcome(UNAVAILABLE, reason="bad_answer")
    if fields.get("status") != 200 or not 1 <= figures.last_month <= 12 or figures.months_paid < 0:
        return Outcome(UNAVAILABLE, reason="bad_answer")
    return Outcome(ANSWERED, figures)


def speech(figures: Contributions, language: str) -> list[Say]:
    """累计缴费 <n> 个月，最近缴费 <yyyy>年<m>月，个人账户余额 <n> 元。 / … months … November 2026 … yuan."""
    steps = [Say("prompt", "contrib-months-paid"), Say("number", str(figures.months_paid)),
             Say("prompt", "contrib-months"), Say("prompt", "contrib-last-month")]
    if language == "zh":
        steps += [Say("digits", str(figures.last_year)), Say("prompt", "contrib-year"),
                  Say("number", str(figures.last_month)), Say("prompt", "progress-month")]
    else:   # Asterisk's own English month names (digits/mon-0 = January)
        steps += [Say("file", f"digits/mon-{figures.last_month - 1}"), Say("number", str(figures.last_year))]
    steps += [Say("prompt", "contrib-balance"), Say("number", str(figures.balance_yuan)),
              Say("prompt", "contrib-yuan")]
    return steps
