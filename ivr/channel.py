"""What the IVR engine needs from a call: play a prompt, wait for one key, change language.

The engine talks to this small protocol, not to AGI, so its behaviour is
tested with a scripted caller and the AGI details stay in one adapter.
A caller hanging up is not the engine's business: the AGI adapter
(``agi.ivr_channel.AgiChannel``) lets pyst2's ``AGIHangup`` family propagate to
the AGI handler, which ends the call's transaction.
"""
from __future__ import annotations

from typing import Protocol

ALL_KEYS = "0123456789*#"


class Channel(Protocol):
    def play(self, prompt: str, escape_digits: str = "") -> str:
        """Play ``prompt``; the key that interrupted it (one of ``escape_digits``), or ""."""

    def wait_digit(self, timeout_s: float) -> str:
        """Wait up to ``timeout_s`` for one key; "" when none came."""

    def set_language(self, language: str) -> None:
        """Prompts played from now on are looked up in this language (CHANNEL(language))."""
