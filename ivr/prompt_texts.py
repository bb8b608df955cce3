"""The texts of the voice prompts (提示音), per language: ``ivr/prompts/<lang>.yaml``.

Prompts are made from text so no binary media lives in the repository and a
wording change is a one-line edit.  A text may mix languages ("…请按1。
For English service, press 9."), so it is kept as segments, each spoken by
the voice of its own language.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from hotline.errors import HotlineError
from hotline.tts import Segment
from ivr.menu import LANGUAGES, PROMPT_NAME, Menu

TEXTS_DIR = Path(__file__).resolve().parent / "prompts"

# Names other code plays by name (the inbound path, queues.conf), on top of what menus name.
INBOUND_PROMPTS = ("welcome", "merged-notice", "greeting-dual", "transfer-subcentre", "transfer-emergency",
                   "transfer-agent", "english-desk", "self-service-unavailable", "please-hold", "invalid-key",
                   "no-key", "goodbye", "after-hours",
                   # after the call (calls/rating.py) and the callbacks' greeting (callbacks/dialer.py)
                   "rating-request", "rating-retry", "rating-thanks", "callback-intro",
                   # the return-visit call (tickets/visit_answers.py)
                   "visit-intro", "visit-generic", "visit-resolved", "visit-satisfaction", "visit-retry",
                   "visit-thanks",
                   # voicemail (留言, extensions_voicemail.conf)
                   "voicemail-prompt", "voicemail-thanks", "voicemail-offer",
                   # keep my place and call me back (回拨, extensions_callbacks.conf)
                   "vhold-offer", "vhold-offer-keyed", "vhold-enter-number", "vhold-number-is",
                   "vhold-confirm-number", "vhold-number-invalid", "vhold-keep-waiting", "vhold-confirmed",
                   "vhold-calling-back")
# app_queue's announcements (Asterisk 22 apps/app_queue.c); queue-less-than is only used by older versions
QUEUE_PROMPTS = ("queue-youarenext", "queue-thereare", "queue-callswaiting", "queue-quantity1", "queue-quantity2",
                 "queue-holdtime", "queue-minute", "queue-minutes", "queue-seconds", "queue-less-than",
                 "queue-thankyou", "queue-reporthold", "queue-periodic-announce")
# ticket progress by phone (工单查询, agi/handlers/progress.py) plays these outside any menu
SELF_SERVICE_PROMPTS = ("progress-own-found", "progress-none-found", "progress-ticket", "progress-ticket-state",
                        "progress-state-intake", "progress-state-handling", "progress-state-extended",
                        "progress-state-redispatch", "progress-state-replied", "progress-state-closed",
                        "progress-state-merged", "progress-department", "progress-deadline", "progress-month",
                        "progress-day", "progress-next", "progress-enter-number", "progress-not-found",
                        "progress-not-found-agent", "progress-enter-code", "progress-wrong-code",
                        "progress-wrong-code-agent", "progress-code-limit",
                        # FAQ by phone (电话常见问题, agi/handlers/faq.py), around the articles' own prompts
                        "faq-intro", "faq-press", "faq-agent", "faq-after", "faq-none",
                        # social-security contributions (社保缴费查询, agi/handlers/contributions.py)
                        "contrib-enter-id", "contrib-enter-pin", "contrib-wait", "contrib-no-match",
                        "contrib-no-match-agent", "contrib-record", "contrib-months-paid", "contrib-months",
                        "contrib-last-month", "contrib-year", "contrib-balance", "contrib-yuan", "contrib-next")
# What main/say.c's ast_say_number_full_zh (and say_digit_str_full) play for language "zh"
ZH_DIGITS = tuple(f"digits/{n}" for n in [*range(10), *range(10, 100, 10)]) + tuple(
    f"digits/{w}" for w in ("hundred", "thousand", "wan", "yi", "minus", "star", "pound"))


class PromptTextError(HotlineError):
    """A prompt text file that cannot be used; names the file and the entry."""


@dataclass(frozen=True)
class PromptText:
    language: str          # the folder it goes to (zh/ or en/)
    name: str              # e.g. "welcome", "digits/5"
    segments: tuple[Segment, ...]

    @property
    def relative_path(self) -> str:
        return f"{self.language}/{self.name}.wav"


def load_texts(folder: Path = TEXTS_DIR) -> dict[tuple[str, str], PromptText]:
    """``{(language, name): PromptText}`` from every ``<language>.yaml`` in ``folder``."""
    texts = {}
    for language in LANGUAGES:
        path = Path(folder) / f"{language}.yaml"
        if path.exists():
            for prompt in _parse_file(path, language):
                texts[(prompt.language, prompt.name)] = prompt
    return texts


@functools.lru_cache(maxsize=1)
def shipped_texts() -> Mapping[tuple[str, str], PromptText]:
    return load_texts(TEXTS_DIR)


def required_prompts(menus: Mapping[str, Menu]) -> set[tuple[str, str]]:
    """Every (language, name) that must exist at run time.

    Menus can switch language, so their prompts are needed in both; the
    inbound and queue prompts too; Mandarin digits only in zh (Debian ships en).
    """
    names = set(INBOUND_PROMPTS) | set(QUEUE_PROMPTS) | set(SELF_SERVICE_PROMPTS)
    for menu in menus.values():
        names |= menu.prompts()
    return {(lang, n) for lang in LANGUAGES for n in names} | {("zh", d) for d in ZH_DIGITS}


def _parse_file(path: Path, language: str) -> list[PromptText]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise PromptTextError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PromptTextError(f"{path}: expected a mapping of prompt name → text")
    prompts = []
    for name, raw in data.items():
        if not isinstance(name, str) or not PROMPT_NAME.fullmatch(name):
            raise PromptTextError(f"{path}: {name!r} is not a prompt name (lowercase letters, digits, '-', '/')")
        items = raw if isinstance(raw, list) else [raw]
        segments = []
        for item in items:
            if isinstance(item, dict) and len(item) == 1:
                (seg_lang, text), = item.items()
            else:
                seg_lang, text = language, item
            if seg_lang not in LANGUAGES or not isinstance(text, (str, int)) or not str(text).strip():
                raise PromptTextError(f"{path}: {name}: each segment is a text, or {{language: text}} with "
                                      f"language one of {', '.join(LANGUAGES)}; found {item!r}")
            segments.append(Segment(seg_lang, str(text).strip()))
        if not segments:
            raise PromptTextError(f"{path}: {name}: the text is empty")
        prompts.append(PromptText(language, name, tuple(segments)))
    return prompts
