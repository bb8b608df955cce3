"""The one way tests wait: poll a condition until it holds, or fail saying what did not happen.

A sleep never stands in for a condition; the interval only spaces the polls.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 5.0, what: str = "the condition",
             interval: float = 0.05) -> T:
    """``check()``'s first truthy result within ``timeout`` seconds; AssertionError naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s: {what} (last: {result!r})")
        time.sleep(interval)
