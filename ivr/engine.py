"""Runs an IVR menu (语音导航) with a caller and says where the call goes next.

The engine never raises on what a caller does: a wrong key plays the menu's
invalid prompt and asks again, silence is a choice too, and when retries run
out the menu's default applies — a human (GB/T 33358: no IVR maze).  Menus
nest (submenu / back); a caller cannot be kept in the IVR for ever: after
``MAX_KEYS`` keys or ``MAX_DEPTH`` nested menus the default applies.

``IvrResult.path`` records what the caller did, one token per event:
a key that was acted on (``0``-``9``, ``*``, ``#``); ``x`` a key the menu does
not offer; ``t`` a timeout (no key); ``>`` the call entered a submenu (or a
menu in another language); ``<`` it went back up one menu.
Examples: ``t`` (silent caller), ``xx`` (two wrong keys), ``9>1`` (9, then 1
in the submenu), ``2>#<1`` (into menu 2, back, then 1).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from hotline.dialplan import ENGLISH_QUEUE, MAIN_QUEUE
from ivr.channel import ALL_KEYS, Channel
from ivr.menu import FAQ_COUNT_DEFAULT, Menu, Option, shipped_menus

log = logging.getLogger(__name__)

AGENT_QUEUES = {"zh": MAIN_QUEUE, "en": ENGLISH_QUEUE}   # where "a human" answers, per language
MAX_KEYS = 20     # events (keys, timeouts) per call before the default applies
MAX_DEPTH = 5     # nested menus


@dataclass(frozen=True)
class IvrResult:
    """Where the call goes after the menu.

    ``action``: "agent" | "queue" | "self_service" | "transfer" | "faq".
    ``queue``: the queue to wait in — for agent/queue the destination, for
    self_service/transfer the agents to fall back to if that fails.
    ``target``: transfer target, the self-service service name, or (faq) how many articles to offer.
    ``language``: the call's language now ("zh"/"en"); the channel already speaks it.
    ``path``: what the caller did (notation in the module docstring).
    ``menu``: the menu the call left from.  ``reason``: why, for the log.
    """
    action: str
    queue: str | None
    target: str | None
    language: str
    path: str
    reason: str
    menu: str = ""


@dataclass
class _Frame:
    menu: Menu
    language: str
    invalid: int = 0
    timeouts: int = 0


def agent_queue(language: str) -> str:
    return AGENT_QUEUES.get(language, AGENT_QUEUES["zh"])


def run_menu(channel: Channel, menu_name: str, *, language: str = "zh",
             menus: Mapping[str, Menu] | None = None) -> IvrResult:
    """Play ``menu_name`` to the caller until an option or the default ends it."""
    menus = shipped_menus() if menus is None else menus
    menu = menus.get(menu_name)
    if menu is None:   # configuration error (Line.ivr_menu): log it, the citizen still reaches a person
        log.error("IVR menu %r does not exist (known: %s); caller goes to the agents",
                  menu_name, ", ".join(sorted(menus)))
        return IvrResult("agent", agent_queue(language), None, language, "",
                         f"menu {menu_name!r} does not exist", menu_name)
    return _Run(channel, menus).start(menu, menu.language or language)


class _Run:
    def __init__(self, channel: Channel, menus: Mapping[str, Menu]):
        self.channel = channel
        self.menus = menus
        self.stack: list[_Frame] = []
        self.path = ""
        self.language = ""

    def start(self, menu: Menu, language: str) -> IvrResult:
        self._speak(language)
        self.stack.append(_Frame(menu, language))
        return self._loop()

    def _loop(self) -> IvrResult:
        events = 0
        while True:
            frame = self.stack[-1]
            menu = frame.menu
            if events >= MAX_KEYS:
                return self._finish(menu.default, f"{events} keys without a choice: default of {menu.name}")
            events += 1
            key = self.channel.play(menu.prompt, ALL_KEYS) or self.channel.wait_digit(menu.timeout)
            if not key:
                self.path += "t"
                frame.timeouts += 1
                if menu.timeout_prompt:
                    self.channel.play(menu.timeout_prompt)
                if frame.timeouts > menu.timeout_retries:
                    return self._finish(menu.default, f"no key pressed in {menu.name}: default")
                continue
            option = menu.options.get(key)
            if option is None:
                self.path += "x"
                frame.invalid += 1
                if menu.invalid_prompt:
                    self.channel.play(menu.invalid_prompt)
                if frame.invalid > menu.invalid_retries:
                    return self._finish(menu.default, f"{frame.invalid} invalid keys in {menu.name}: default")
                continue
            self.path += key
            if option.action == "repeat":
                continue
            if option.action == "back":
                if len(self.stack) > 1:
                    self.stack.pop()
                    self.path += "<"
                    self._speak(self.stack[-1].language)
                continue
            if option.action in ("submenu", "language") and option.menu is not None:
                if len(self.stack) >= MAX_DEPTH:
                    return self._finish(menu.default, f"menus nested deeper than {MAX_DEPTH}: default")
                language = option.language or frame.language
                submenu = self.menus[option.menu]
                language = submenu.language or language
                self._speak(language)
                self.stack.append(_Frame(submenu, language))
                self.path += ">"
                continue
            return self._finish(option, f"key {key} in {menu.name}")

    def _finish(self, option: Option, reason: str) -> IvrResult:
        menu_name = self.stack[-1].menu.name
        if option.action == "language":
            self._speak(option.language)
        if option.prompt:
            self.channel.play(option.prompt)
        language = self.language
        action, queue, target = option.action, agent_queue(language), None
        if action == "language":
            action = "agent"
        elif action == "queue":
            queue = option.queue
        elif action == "self_service":
            target = option.service
        elif action == "transfer":
            target = option.target
        elif action == "faq":
            target = str(option.count or FAQ_COUNT_DEFAULT)
        return IvrResult(action, queue, target, language, self.path, reason, menu_name)

    def _speak(self, language: str) -> None:
        if language != self.language:
            self.channel.set_language(language)
            self.language = language
