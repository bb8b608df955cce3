"""IVR menus (语音导航菜单) an admin edits: the YAML the engine reads, checked by ivr.menu's own loader first.

A saved menu lives in ``ivr_menus`` and wins over the shipped ``ivr/menus/<name>.yaml``;
removing it brings the shipped one back.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.kind import Kind
from db.models import IvrMenu, Line
from hotline.errors import HotlineError
from ivr.menu import NAME, Menu, check_references, parse_menu, shipped_menus

log = logging.getLogger(__name__)


def saved_sources(session: Session) -> dict[str, str]:
    return dict(session.execute(select(IvrMenu.name, IvrMenu.source)).all())


def effective(session: Session) -> dict[str, Menu]:
    """The menus calls hear: shipped ones, with the admin's saved ones over them."""
    menus = dict(shipped_menus())
    try:
        for name, source in saved_sources(session).items():
            menus[name] = parse_menu(name, yaml.safe_load(source))
        return check_references(menus)
    except (HotlineError, yaml.YAMLError) as exc:   # checked on saving; a broken row must not stop calls
        log.error("saved IVR menus cannot be used, the shipped menus stay: %s", exc)
        return dict(shipped_menus())


def parse_source(name: str, source: str, others: Mapping[str, Menu]) -> Menu:
    """The menu in ``source`` checked alone and against the other menus; MenuError names the problem."""
    data = yaml.safe_load(source)
    menu = parse_menu(name, data)
    check_references({**others, name: menu})
    return menu


class Menus(Kind):
    name = "menu"
    label = "menu"
    key_field = "name"

    def get(self, session: Session, key: str) -> IvrMenu | None:
        return session.get(IvrMenu, key)

    def keys(self, session: Session) -> list[str]:
        return sorted(saved_sources(session))

    def dump(self, menu: IvrMenu) -> dict[str, Any]:
        return {"name": menu.name, "source": menu.source}

    def check(self, session: Session, data: dict[str, Any], existing: IvrMenu | None) -> dict[str, Any]:
        name = str(data.get("name") or "").strip()
        source = data.get("source")
        errors: dict[str, str] = {}
        unknown = sorted(set(data) - {"name", "source"})
        if unknown:
            errors["fields"] = f"unknown field(s) {', '.join(unknown)} (known: name, source)"
        if not NAME.fullmatch(name) or len(name) > 64:
            errors["name"] = "lowercase letters, digits and '-' (it is the name Line.ivr_menu uses)"
        if not isinstance(source, str) or not source.strip():
            errors["source"] = "is required: the menu's YAML"
        if not errors:
            others = {n: m for n, m in effective(session).items() if n != name}
            try:
                parse_source(name, source, others)
            except yaml.YAMLError as exc:
                errors["source"] = f"not valid YAML: {exc}"
            except HotlineError as exc:
                errors["source"] = exc.problem
        if errors:
            raise self.invalid(name or "?", errors)
        return {"name": name, "source": source if source.endswith("\n") else source + "\n"}

    def write(self, session: Session, menu: IvrMenu | None, clean: dict[str, Any]) -> IvrMenu:
        if menu is None:
            menu = IvrMenu(name=clean["name"], source=clean["source"])
            session.add(menu)
        menu.source = clean["source"]
        session.flush()
        return menu

    def remove(self, session: Session, menu: IvrMenu) -> None:
        if menu.name not in shipped_menus():
            users = list(session.scalars(select(Line.number).where(Line.ivr_menu == menu.name)))
            if users:
                raise self.invalid(menu.name, {"name": f"lines {', '.join(users)} use this menu"})
        session.delete(menu)
        session.flush()
        return None


MENUS = Menus()
