"""A scripted caller for the IVR engine: what it presses, what it heard, in which language."""
from __future__ import annotations

from agi.session import ChannelHungUp

HANGUP = object()   # script entry: the caller hangs up at this point


class FakeChannel:
    """Implements ivr.channel.Channel without Asterisk.

    Each script entry is what the caller does at its next chance to choose:
    ``"1"`` presses 1 after the prompt; ``""`` stays silent (the wait times
    out); ``"!1"`` presses 1 while the prompt is still playing (barge-in);
    ``HANGUP`` hangs up.  After the script, the caller stays silent.
    """

    def __init__(self, script=(), language: str = "zh"):
        self.script = list(script)
        self.language = language
        self.played: list[tuple[str, str]] = []      # (language, prompt) in order
        self.escapes: list[str] = []                 # escape digits of each play
        self.waits: list[float] = []                 # timeouts of each wait for a key
        self.languages_set: list[str] = []

    def play(self, prompt: str, escape_digits: str = "") -> str:
        self.played.append((self.language, prompt))
        self.escapes.append(escape_digits)
        if self.script and self.script[0] is HANGUP:
            self.script.pop(0)
            raise ChannelHungUp("caller hung up during a prompt")
        nxt = self.script[0] if self.script else None
        if isinstance(nxt, str) and nxt.startswith("!") and nxt[1:] in escape_digits:
            return self.script.pop(0)[1:]
        return ""

    def wait_digit(self, timeout_s: float) -> str:
        self.waits.append(timeout_s)
        if not self.script:
            return ""
        entry = self.script.pop(0)
        if entry is HANGUP:
            raise ChannelHungUp("caller hung up while choosing")
        return entry.lstrip("!")

    def set_language(self, language: str) -> None:
        self.languages_set.append(language)
        self.language = language

    @property
    def prompts(self) -> list[str]:
        return [p for _, p in self.played]
