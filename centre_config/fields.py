"""Reading one submitted form, JSON body, CLI option or YAML entry into clean values, an error per field.

Values arrive as text (forms, the CLI), as JSON or as YAML; every checker
accepts all three and collects its message instead of stopping at the first.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

TRUE = {"1", "true", "yes", "on", "y"}
FALSE = {"0", "false", "no", "off", "n", ""}


class Fields:
    """``Fields(data)``; call the checkers; then ``errors`` (field → message) and ``clean`` (field → value)."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.errors: dict[str, str] = {}
        self.clean: dict[str, Any] = {}

    def _raw(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, max_len: int, *, required: bool = False, pattern: str | None = None,
             hint: str = "") -> str | None:
        value = self._raw(name)
        if value is None:
            if required:
                self._fail(name, "is required")
            self.clean[name] = None
            return None
        value = str(value)
        if len(value) > max_len:
            self._fail(name, f"is {len(value)} characters long; at most {max_len}")
        elif pattern and not re.fullmatch(pattern, value):
            self._fail(name, hint or f"must match {pattern}")
        self.clean[name] = value
        return value

    def choice(self, name: str, choices: tuple[str, ...] | list[str], *, required: bool = True,
               default: str | None = None) -> str | None:
        value = self._raw(name)
        if value is None:
            value = default
        if value is None:
            if required:
                self._fail(name, f"is required (one of {', '.join(choices)})")
            self.clean[name] = None
            return None
        value = str(value)
        if value not in choices:
            self._fail(name, f"{value!r} is not one of {', '.join(choices)}")
        self.clean[name] = value
        return value

    def integer(self, name: str, low: int, high: int, *, default: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None:
            value = default
        if value is None:
            self._fail(name, "is required")
            return None
        try:
            number = int(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or (isinstance(value, float) and value != int(value)):
            self._fail(name, f"{value!r} is not a whole number")
            return None
        if not low <= number <= high:
            self._fail(name, f"{number} is out of range {low}..{high}")
        self.clean[name] = number
        return number

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            result = default
        elif isinstance(value, bool):
            result = value
        elif str(value).lower() in TRUE:
            result = True
        elif str(value).lower() in FALSE:
            result = False
        else:
            self._fail(name, f"{value!r} is not yes or no")
            result = default
        self.clean[name] = result
        return result

    def date(self, name: str) -> dt.date | None:
        value = self._raw(name)
        if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            self.clean[name] = value
            return value
        try:
            result = dt.date.fromisoformat(str(value))
        except ValueError:
            self._fail(name, f"{value!r} is not a date YYYY-MM-DD")
            return None
        self.clean[name] = result
        return result

    def datetime(self, name: str) -> dt.datetime | None:
        """A moment, stored as naive UTC; text without an offset is taken as UTC."""
        value = self._raw(name)
        if value is None:
            self.clean[name] = None
            return None
        result = value if isinstance(value, dt.datetime) else None
        if result is None:
            try:
                result = dt.datetime.fromisoformat(str(value))
            except ValueError:
                self._fail(name, f"{value!r} is not a date and time YYYY-MM-DDTHH:MM[+08:00]")
                return None
        if result.tzinfo is not None:
            result = result.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.clean[name] = result
        return result

    def penalties(self, name: str, raw: Any, find: Callable[[str], Any], *, max_penalty: int, unknown: str,
                  bad: str, example: str) -> list[tuple[Any, int]]:
        """``{key: penalty}`` (a queue's members, an agent's queues) → (object, penalty) pairs; a message for
        each key ``find`` does not know (``unknown`` names it: "there is no queue {key}") and each penalty
        outside 0..max_penalty (``bad`` says whose: "penalty in queue {key}")."""
        if not isinstance(raw, dict):
            self._fail(name, f"must map {example}")
            return []
        out = []
        for key, penalty in raw.items():
            found = find(str(key))
            if found is None:
                self._fail(name, unknown.format(key=key))
                continue
            try:
                value = int(penalty)
            except (TypeError, ValueError):
                value = -1
            if not 0 <= value <= max_penalty:
                self._fail(name, f"{bad.format(key=key)} must be 0..{max_penalty}, not {penalty!r}")
                continue
            out.append((found, value))
        return out

    def unknown(self, known: set[str]) -> None:
        for name in sorted(set(self.data) - known):
            self._fail(name, f"unknown field (known: {', '.join(sorted(known))})")


def json_value(value: Any) -> Any:
    """Dates and times as ISO text, the way the audit table and the API keep them."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
