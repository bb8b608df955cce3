"""Withheld caller IDs (隐藏号码/无主叫号码): what a call stores when the citizen's number is not shown.

Asterisk and carriers spell "no number" in many ways (``anonymous``,
``restricted``, ``unknown``, ``unavailable``, ``private``, an empty string, a
SIP URI ``anonymous@anonymous.invalid``...). All of them mean "nobody in
particular": such calls are never matched to each other, never counted as a
repeat caller (重复来电) and never pre-filled as the citizen's phone.
"""
from __future__ import annotations

WITHHELD = frozenset({
    "", "anonymous", "restricted", "unknown", "unavailable", "private", "withheld", "blocked", "none",
    "null", "asterisk", "anonymous.invalid", "0", "00", "000", "-", "*",
})


def is_withheld(caller: str | None) -> bool:
    """True when ``caller`` does not identify a citizen's line."""
    value = (caller or "").strip().strip('"<>').lower()
    if value.startswith(("sip:", "sips:", "tel:")):
        value = value.split(":", 1)[1]
    value = value.split("@", 1)[0].strip()
    if value in WITHHELD:
        return True
    digits = [ch for ch in value if ch.isdigit()]
    return not digits or set(digits) == {"0"}


def known_number(caller: str | None) -> str:
    """The caller's number, or "" when it is withheld."""
    return "" if is_withheld(caller) else (caller or "").strip()
