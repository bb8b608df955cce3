"""IVR menus (语音导航菜单) as data: ``ivr/menus/<name>.yaml``, loaded and checked once.

Menus are data so a centre can shorten or remove them without a release:
GB/T 33358 discourages IVR mazes, so every menu has a default that reaches a
human, and the loader refuses a menu whose default would not end the menu.

A menu file (the file name without ``.yaml`` is the menu's name)::

    description: free text for people
    language: en              # optional: entering this menu switches the call to this language
    prompt: menu-main         # prompt played as hotline/<prompt>; any key interrupts it
    timeout: 5                # seconds to wait for a key after the prompt
    timeout_retries: 0        # silences that replay the menu before the default applies
    timeout_prompt: no-key    # optional, played on each silence
    invalid_retries: 1        # wrong keys that replay the menu; the next wrong key → default
    invalid_prompt: invalid-key
    default: agent            # what silence or too many wrong keys lead to (a human)
    options:                  # DTMF key → option; an option is an action name or a mapping
      "1": agent
      "2": {action: submenu, menu: other}
      "9": {action: language, language: en, prompt: english-desk}
      "*": repeat

Actions and their fields (``prompt`` = played before the call leaves the menu):
``agent`` [prompt] — the agents' queue of the current language;
``queue`` queue [prompt]; ``self_service`` service [prompt]; ``transfer`` target [prompt];
``language`` language [menu] [prompt] — without ``menu`` it ends at that language's agents;
``submenu`` menu; ``repeat``; ``back`` (at the top menu it repeats);
``faq`` [count] [prompt] — FAQ by phone (电话常见问题, agi/handlers/faq.py): the line's ``count``
(1-9, default 5) most asked phone-readable articles as a sub-menu, then an agent.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hotline.errors import HotlineError

MENUS_DIR = Path(__file__).resolve().parent / "menus"
LANGUAGES = ("zh", "en")
KEYS = "0123456789*#"
NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
PROMPT_NAME = re.compile(r"[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*")

# action → (required fields, optional fields)
ACTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "agent": (frozenset(), frozenset({"prompt"})),
    "queue": (frozenset({"queue"}), frozenset({"prompt"})),
    "self_service": (frozenset({"service"}), frozenset({"prompt"})),
    "transfer": (frozenset({"target"}), frozenset({"prompt"})),
    "language": (frozenset({"language"}), frozenset({"menu", "prompt"})),
    "submenu": (frozenset({"menu"}), frozenset()),
    "repeat": (frozenset(), frozenset()),
    "back": (frozenset(), frozenset()),
    "faq": (frozenset(), frozenset({"count", "prompt"})),
}
FAQ_COUNT_DEFAULT, FAQ_COUNT_MAX = 5, 9   # one key per article, 1-9 (0 is the agent)
MENU_FIELDS = {"description", "language", "prompt", "timeout", "timeout_retries", "timeout_prompt",
               "invalid_retries", "invalid_prompt", "default", "options"}
MAX_TIMEOUT_S = 30          # a caller left waiting longer in silence is a caller lost
MAX_RETRIES = 5


class MenuError(HotlineError):
    """A menu file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Option:
    action: str
    queue: str | None = None
    service: str | None = None
    target: str | None = None
    menu: str | None = None
    language: str | None = None
    prompt: str | None = None
    count: int | None = None      # faq: how many articles are offered

    @property
    def ends_menu(self) -> bool:
        """True when choosing it leaves the IVR with a result (a default must)."""
        return self.action in ("agent", "queue", "self_service", "transfer") or \
            (self.action == "language" and self.menu is None)


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: str
    options: Mapping[str, Option]
    default: Option = Option("agent")
    timeout: float = 5.0
    timeout_retries: int = 0
    timeout_prompt: str | None = None
    invalid_retries: int = 1
    invalid_prompt: str | None = "invalid-key"
    language: str | None = None
    description: str = ""
    source: Path | None = field(default=None, compare=False)

    @property
    def keys(self) -> str:
        return "".join(k for k in KEYS if k in self.options)

    def prompts(self) -> set[str]:
        """Every prompt this menu can play (for the "no prompt is missing" check)."""
        names = {self.prompt, self.timeout_prompt, self.invalid_prompt, self.default.prompt}
        names.update(o.prompt for o in self.options.values())
        return {n for n in names if n}


def load_menus(folder: Path = MENUS_DIR) -> dict[str, Menu]:
    """Every ``*.yaml`` in ``folder``, validated, cross-references included."""
    menus = {path.stem: parse_menu_file(path) for path in sorted(Path(folder).glob("*.yaml"))}
    return check_references(menus)


def menus_from_data(data: Mapping[str, Any]) -> dict[str, Menu]:
    """Menus from ``{name: fields}`` (tests, or menus kept in the database later)."""
    return check_references({name: parse_menu(name, fields) for name, fields in data.items()})


def check_references(menus: dict[str, Menu]) -> dict[str, Menu]:
    """Every ``menu:`` an option names exists and speaks the language the option switches to."""
    for menu in menus.values():
        for where, option in _all_options(menu):
            if option.menu is not None and option.menu not in menus:
                raise MenuError(f"{_where(menu)}: {where} goes to menu {option.menu!r}, which does not "
                                f"exist (menus: {', '.join(sorted(menus)) or 'none'})",
                                f"add {option.menu}.yaml or fix the name")
            if option.action == "language" and option.menu is not None:
                declared = menus[option.menu].language
                if declared is not None and declared != option.language:
                    raise MenuError(f"{_where(menu)}: {where} switches to {option.language!r} but menu "
                                    f"{option.menu!r} speaks {declared!r}")
    return menus


@functools.lru_cache(maxsize=1)
def shipped_menus() -> Mapping[str, Menu]:
    """The menus in ``ivr/menus/``, loaded once per process."""
    return load_menus(MENUS_DIR)


def parse_menu_file(path: Path) -> Menu:
    path = Path(path)
    if not NAME.fullmatch(path.stem):
        raise MenuError(f"{_show(path)}: a menu file name is lowercase letters, digits and '-' "
                        f"(it is the menu's name, as Line.ivr_menu names it)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MenuError(f"{_show(path)}: not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MenuError(f"{_show(path)}: cannot be read: {exc}") from None
    return parse_menu(path.stem, data, source=path)


def parse_menu(name: str, data: Any, *, source: Path | None = None) -> Menu:
    """Build a Menu from the mapping of one file; ``MenuError`` names the file (or menu) and the problem."""
    try:
        return _parse(name, data, source)
    except _Invalid as exc:
        raise MenuError(f"{_show(source) if source else f'menu {name!r}'}: {exc}") from None


def _parse(name: str, data: Any, source: Path | None) -> Menu:
    if not isinstance(data, dict):
        raise _Invalid(f"expected a mapping of menu fields, found {type(data).__name__}")
    unknown = set(data) - MENU_FIELDS
    if unknown:
        raise _Invalid(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                       f"known: {', '.join(sorted(MENU_FIELDS))}")
    if "prompt" not in data:
        raise _Invalid("'prompt' is missing: the menu must say its options")
    options_data = data.get("options")
    if not isinstance(options_data, dict) or not options_data:
        raise _Invalid("'options' must map at least one key to an option")
    options = {}
    for raw_key, raw_option in options_data.items():
        key = _key(raw_key)
        if key in options:
            raise _Invalid(f"option {key!r} is given twice")
        options[key] = _option(raw_option, f"option {key!r}")
    default = _option(data.get("default", "agent"), "default")
    if not default.ends_menu:
        raise _Invalid(f"default is {default.action!r}: it must end the menu (agent, queue, self_service, "
                       "transfer, or language without a menu) so a silent caller reaches a person")
    return Menu(
        name=name,
        prompt=_prompt(data["prompt"], "prompt"),
        options=options,
        default=default,
        timeout=_number(data.get("timeout", 5), "timeout", 0.5, MAX_TIMEOUT_S),
        timeout_retries=int(_number(data.get("timeout_retries", 0), "timeout_retries", 0, MAX_RETRIES, True)),
        timeout_prompt=_prompt(data.get("timeout_prompt"), "timeout_prompt", optional=True),
        invalid_retries=int(_number(data.get("invalid_retries", 1), "invalid_retries", 0, MAX_RETRIES, True)),
        invalid_prompt=_prompt(data.get("invalid_prompt", "invalid-key"), "invalid_prompt", optional=True),
        language=_language(data.get("language"), "language", optional=True),
        description=str(data.get("description") or ""),
        source=source,
    )


class _Invalid(ValueError):
    pass


def _option(raw: Any, where: str) -> Option:
    if isinstance(raw, str):
        raw = {"action": raw}
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: expected an action name or a mapping with 'action', found {raw!r}")
    action = raw.get("action")
    if action not in ACTIONS:
        raise _Invalid(f"{where}: unknown action {action!r}; known: {', '.join(ACTIONS)}")
    required, optional = ACTIONS[action]
    fields = set(raw) - {"action"}
    if missing := required - fields:
        raise _Invalid(f"{where}: action {action!r} needs {', '.join(sorted(missing))}")
    if extra := fields - required - optional:
        raise _Invalid(f"{where}: action {action!r} does not take {', '.join(sorted(map(str, extra)))}")
    values = {}
    for name in fields:
        value = raw[name]
        if name == "prompt":
            values[name] = _prompt(value, f"{where} prompt")
        elif name == "language":
            values[name] = _language(value, f"{where} language")
        elif name == "count":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= FAQ_COUNT_MAX:
                raise _Invalid(f"{where}: count must be a whole number from 1 to {FAQ_COUNT_MAX}, found {value!r}")
            values[name] = value
        elif name == "menu":
            if not isinstance(value, str) or not NAME.fullmatch(value):
                raise _Invalid(f"{where}: menu must be a menu name, found {value!r}")
            values[name] = value
        else:
            if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value).strip() == "":
                raise _Invalid(f"{where}: {name} must be a non-empty text, found {value!r}")
            values[name] = str(value)
    return Option(action=action, **values)


def _key(raw: Any) -> str:
    key = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if not isinstance(key, str) or len(key) != 1 or key not in KEYS:
        raise _Invalid(f"option key {raw!r} is not one DTMF key ({KEYS}); quote keys, e.g. \"1\" or \"*\"")
    return key


def _prompt(value: Any, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not PROMPT_NAME.fullmatch(value):
        raise _Invalid(f"{where}: {value!r} is not a prompt name (lowercase letters, digits, '-', '/')")
    return value


def _language(value: Any, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if value not in LANGUAGES:
        raise _Invalid(f"{where}: {value!r} is not a supported language ({', '.join(LANGUAGES)})")
    return value


def _number(value: Any, where: str, low: float, high: float, integer: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
    if ok and integer and value != int(value):
        ok = False
    if not ok:
        kind = "a whole number" if integer else "a number"
        raise _Invalid(f"{where}: must be {kind} from {low:g} to {high:g}, found {value!r}")
    return float(value)


def _all_options(menu: Menu):
    yield "default", menu.default
    for key, option in menu.options.items():
        yield f"option {key!r}", option


def _where(menu: Menu) -> str:
    return _show(menu.source) if menu.source else f"menu {menu.name!r}"


def _show(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
