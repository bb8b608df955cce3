"""Lines (热线号码): number, mode (合并方式), notice, greeting, hours, transfer target, language, menu."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre_config.fields import Fields, json_value
from centre_config.kind import Kind
from db.models import Department, IvrMenu, Line, LineMode, Queue
from hotline.business_hours import BadHours, parse
from ivr.menu import LANGUAGES, PROMPT_NAME, shipped_menus

NUMBER = r"[0-9]{3,20}"
PROMPT = PROMPT_NAME.pattern
TEXT_LIMITS = {"name_en": 128, "business_hours": 255, "transfer_target": 128, "self_service_url": 512,
               "notes": 4000}
COLUMNS = ("number", "name", "name_en", "mode", "greeting", "greeting_text", "greeting_recording",
           "notice_until", "active_from", "active_until", "business_hours", "transfer_target", "queue_name",
           "language", "ivr_menu", "no_menu", "self_service_url", "active", "notes")
FIELDS = set(COLUMNS) | {"department"}
NEEDS_TARGET = (LineMode.sub_centre.value, LineMode.emergency.value)


def text_prompt(number: str) -> str:
    """The prompt an admin's greeting text is spoken into (``hotline/line-<number>``)."""
    return f"line-{number}"


def recording_prompt(number: str) -> str:
    return f"line-{number}-recorded"


class Lines(Kind):
    name = "line"
    label = "line"
    key_field = "number"

    def get(self, session: Session, key: str) -> Line | None:
        return session.scalar(select(Line).where(Line.number == key))

    def keys(self, session: Session) -> list[str]:
        return list(session.scalars(select(Line.number).order_by(Line.number)))

    def dump(self, line: Line) -> dict[str, Any]:
        data = {name: json_value(getattr(line, name)) for name in COLUMNS}
        data["mode"] = line.mode.value
        data["department"] = line.department.code if line.department else None
        return data

    def check(self, session: Session, data: dict[str, Any], existing: Line | None) -> dict[str, Any]:
        f = Fields(data)
        f.unknown(FIELDS)
        number = f.text("number", 20, required=True, pattern=NUMBER, hint="3 to 20 digits, e.g. 12319")
        f.text("name", 128, required=True)
        for name, limit in TEXT_LIMITS.items():
            f.text(name, limit)
        mode = f.choice("mode", [m.value for m in LineMode])
        f.text("greeting", 64, pattern=PROMPT, hint="a prompt name: lowercase letters, digits and '-'")
        text = f.text("greeting_text", 1000)
        f.text("greeting_recording", 64, pattern=PROMPT, hint="a prompt name")
        f.date("notice_until")
        start, end = f.datetime("active_from"), f.datetime("active_until")
        if start and end and end <= start:
            f._fail("active_until", "must be after active_from")
        hours = f.clean.get("business_hours")
        if hours:
            try:
                parse(hours)
            except BadHours as exc:
                f._fail("business_hours", f"{exc} (e.g. 'mon-fri 08:30-17:30; sat 09:00-12:00' or "
                                          "'workdays 09:00-17:00')")
        if mode in NEEDS_TARGET and not f.clean.get("transfer_target"):
            f._fail("transfer_target", f"a {mode} line needs a transfer target (e.g. PJSIP/12366@carrier)")
        f.choice("language", LANGUAGES, default="zh")
        queue = f.text("queue_name", 64, required=False) or "12345"
        f.clean["queue_name"] = queue
        if session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
            f._fail("queue_name", f"there is no queue {queue!r}")
        menu = f.text("ivr_menu", 64)
        if menu and menu not in shipped_menus() and session.get(IvrMenu, menu) is None:
            f._fail("ivr_menu", f"there is no menu {menu!r} (menus: {', '.join(_menu_names(session))})")
        f.boolean("no_menu")
        f.boolean("active", default=True)
        code = f.text("department", 32)
        department = None
        if code:
            department = session.scalar(select(Department).where(Department.code == code))
            if department is None:
                f._fail("department", f"there is no department {code!r}")
        if text and number:
            f.clean["greeting"] = text_prompt(number)
        if f.clean.get("greeting_recording"):
            f.clean["greeting"] = f.clean["greeting_recording"]       # a recording wins over the text
        elif not text and number and f.clean.get("greeting") in (text_prompt(number), recording_prompt(number)):
            f.clean["greeting"] = None                                # its text or recording was removed
        if f.errors:
            raise self.invalid(number or "?", f.errors)
        f.clean["department"] = department
        f.clean["mode"] = LineMode(mode)
        return f.clean

    def write(self, session: Session, line: Line | None, clean: dict[str, Any]) -> Line:
        if line is None:
            line = Line(number=clean["number"], name=clean["name"], mode=clean["mode"])
            session.add(line)
        self._set(line, clean, COLUMNS[1:])
        line.department = clean["department"]
        session.flush()
        return line

    def remove(self, session: Session, line: Line) -> Line:
        """A line is never deleted (calls and tickets keep naming it): it is switched off."""
        line.active = False
        session.flush()
        return line


def _menu_names(session: Session) -> list[str]:
    return sorted(set(shipped_menus()) | set(session.scalars(select(IvrMenu.name))))


LINES = Lines()
