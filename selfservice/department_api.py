"""Department business systems over HTTP (互联互通): ask the department's own system, survive it being slow or down.

A self-service line whose department offers an API instead of an IVR asks it
through ``DepartmentClient``: httpx with a short timeout (a caller is waiting,
``MAX_TIMEOUT_S``), a bounded number of retries for connection failures, and a
circuit breaker so a dead system costs the next callers nothing but the
"unavailable, here is an agent" prompt.  ID numbers and PINs go in the request
body only: they are never logged, never stored, never in a URL.

Used by the phone's contributions query (selfservice/contributions.py, agi/handlers/contributions.py).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from hotline.errors import HotlineError

log = logging.getLogger(__name__)

MAX_TIMEOUT_S = 2.0       # whole request; a caller on the line waits for it
MAX_RETRIES = 2


class DepartmentUnavailable(HotlineError):
    """The department's system did not answer usefully; ``reason``: slow | down | refused | open | bad_answer."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, "the caller is told the system is unavailable and offered an agent")
        self.reason = reason


class CircuitBreaker:
    """Closed → (``threshold`` failures in a row) → open for ``reset_after_s`` → half-open: one trial call.

    Thread-safe: the AGI server serves calls in threads and they share one breaker per department.
    """

    def __init__(self, threshold: int = 3, reset_after_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.threshold = threshold
        self.reset_after_s = reset_after_s
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self._opened_at >= self.reset_after_s else "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial:
                self._trial = True     # exactly one caller tries; the others are told at once
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                self._opened_at = self.clock()
            self._trial = False


@dataclass(frozen=True)
class DepartmentAnswer:
    """What the department's system said, already fit to be read out (no ID number, no PIN)."""

    fields: Mapping[str, Any]


class DepartmentClient:
    """One department system (e.g. social security 12333's contribution record) behind one breaker."""

    def __init__(self, base_url: str, *, timeout_s: float = MAX_TIMEOUT_S, retries: int = 1,
                 breaker: CircuitBreaker | None = None, transport: httpx.BaseTransport | None = None):
        if not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise ValueError(f"timeout_s must be in (0, {MAX_TIMEOUT_S}]: a caller is waiting")
        if not 0 <= retries <= MAX_RETRIES:
            raise ValueError(f"retries must be 0..{MAX_RETRIES}")
        self.retries = retries
        self.breaker = breaker or CircuitBreaker()
        self.http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout_s), transport=transport)

    def close(self) -> None:
        self.http.close()

    def query(self, path: str, *, id_number: str, pin: str) -> DepartmentAnswer:
        """POST the caller's ID number and PIN to ``path``; the answer, or ``DepartmentUnavailable``.

        A timeout is not retried (the caller has waited long enough); a refused or reset
        connection is, up to ``retries`` times.  A 401/404 from the system is an answer
        ("wrong PIN", "no record"), not a failure of the system.
        """
        if not self.breaker.allow():
            raise DepartmentUnavailable("open", f"{self.http.base_url} failed repeatedly: not asked (circuit open)")
        last: DepartmentUnavailable | None = None
        for attempt in range(self.retries + 1):
            try:
                response = self.http.post(path, json={"id_number": id_number, "pin": pin})
            except httpx.TimeoutException:
                last = DepartmentUnavailable("slow", f"{self.http.base_url}{path} did not answer in time")
                break
            except httpx.TransportError as exc:
                last = DepartmentUnavailable("down", f"{self.http.base_url}{path} unreachable: {type(exc).__name__}")
                log.info("department system %s unreachable (attempt %d)", self.http.base_url, attempt + 1)
                continue
            if response.status_code >= 500:
                last = DepartmentUnavailable("down", f"{self.http.base_url}{path} answered {response.status_code}")
                continue
            try:
                data = response.json()
            except ValueError:
                last = DepartmentUnavailable("bad_answer", f"{self.http.base_url}{path} answered no JSON")
                break
            if not isinstance(data, dict):
                last = DepartmentUnavailable("bad_answer", f"{self.http.base_url}{path} answered {type(data).__name__}")
                break
            self.breaker.success()
            data.pop("id_number", None)
            data.pop("pin", None)
            return DepartmentAnswer({"status": response.status_code, **data})
        self.breaker.failure()
        log.warning("department system unavailable: %s (%s)", last, last.reason)
        raise last
