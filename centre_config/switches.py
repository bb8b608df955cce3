"""Centre-wide switches: the no-menu mode (取消语音导航, ivr.switches). The surge announcement stays with
queue_logic.surge: it is the supervisor's, not the configuration's."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.fields import Fields
from centre_config.kind import Kind
from db.models import CentreSetting
from ivr import switches

SWITCHES = {switches.CENTRE_MENU_KEY: "IVR menus on for every line (off = every caller straight to a person)"}


class Switches(Kind):
    name = "switch"
    label = "switch"
    key_field = "key"

    def get(self, session: Session, key: str) -> CentreSetting | None:
        return session.get(CentreSetting, key) if key in SWITCHES else None

    def keys(self, session: Session) -> list[str]:
        return sorted(session.scalars(select(CentreSetting.key).where(CentreSetting.key.in_(SWITCHES))))

    def dump(self, setting: CentreSetting) -> dict[str, Any]:
        return {"key": setting.key, "enabled": switches.centre_switch_on(setting.value)}

    def check(self, session: Session, data: dict[str, Any], existing: CentreSetting | None) -> dict[str, Any]:
        f = Fields(data)
        f.unknown({"key", "enabled"})
        key = f.choice("key", tuple(SWITCHES))
        if "enabled" not in data:
            f._fail("enabled", "is required: yes or no")
        f.boolean("enabled", default=True)
        if f.errors:
            raise self.invalid(key or "?", f.errors)
        return f.clean

    def write(self, session: Session, setting: CentreSetting | None, clean: dict[str, Any]) -> CentreSetting:
        return switches.set_centre_menu_enabled(session, clean["enabled"], by=None)

    def remove(self, session: Session, setting: CentreSetting) -> None:
        session.delete(setting)
        session.flush()
        return None


SWITCH = Switches()
