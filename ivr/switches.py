"""The "no menu" switches (取消语音导航): per line, and for the whole centre.

Several provinces removed IVR menus so elderly callers reach a person at
once; a centre must be able to do that for one line (``Line.no_menu``) or for
every line at once (centre setting ``ivr_enabled`` = "0") without a release.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import CentreSetting, Line

CENTRE_MENU_KEY = "ivr_enabled"
_OFF = {"0", "false", "off", "no"}


def centre_switch_on(centre_value: str | None) -> bool:
    """Absent setting = menus on; "0" (or false/off/no) = every menu off."""
    return centre_value is None or centre_value.strip().lower() not in _OFF


def centre_menu_enabled(session: Session) -> bool:
    setting = session.get(CentreSetting, CENTRE_MENU_KEY)
    return centre_switch_on(setting.value if setting is not None else None)


def menu_enabled(session: Session, line: Line | None) -> bool:
    """Should this line's callers hear its menu (``Line.ivr_menu``)?

    No line, no menu named, the line's own "no menu" switch, or the centre's
    switch: the caller goes straight to the line's route instead.
    """
    setting = session.get(CentreSetting, CENTRE_MENU_KEY) if line is not None else None
    return menu_on(line, setting.value if setting is not None else None)


def menu_on(line, centre_value: str | None) -> bool:
    """The same rule on plain data (a line-like object and the centre setting's value, None if unset)."""
    if line is None or not line.ivr_menu or line.no_menu:
        return False
    return centre_switch_on(centre_value)


def set_centre_menu_enabled(session: Session, enabled: bool, by: str | None) -> CentreSetting:
    """Switch every menu on or off; ``by`` (a username) is kept with the setting for the audit."""
    setting = session.get(CentreSetting, CENTRE_MENU_KEY)
    if setting is None:
        setting = CentreSetting(key=CENTRE_MENU_KEY)
        session.add(setting)
    setting.value = "1" if enabled else "0"
    setting.updated_by = by
    session.flush()
    return setting
