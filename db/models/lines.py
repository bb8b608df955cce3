"""Lines (热线号码): every number a citizen may dial, and what to do with it.

The dialed number (DNIS) picks the line; the line's mode decides the call flow
(docs/domain.md §1, 号码整合).
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, str_enum
from db.models.departments import Department
from hotline.dialplan import MAIN_QUEUE


class LineMode(enum.StrEnum):
    main = "main"                  # 12345 itself
    merged = "merged"              # 取消号码/整体并入: old number now rings 12345
    dual = "dual"                  # 双号并行: old number kept, same seats, own greeting
    sub_centre = "sub_centre"      # 设分中心: one-key transfer to the department's centre
    self_service = "self_service"  # 互联互通: department self-service, else 12345 agents
    emergency = "emergency"        # 110/119/120/122: never merged, transfer to the trunk


class Line(Base):
    """热线号码."""

    __tablename__ = "lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str | None] = mapped_column(String(128))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    mode: Mapped[LineMode] = mapped_column(str_enum(LineMode))
    greeting: Mapped[str | None] = mapped_column(String(64))  # prompt name
    # what an admin wrote for the greeting (spoken by TTS as prompt line-<number>), and an uploaded
    # recording's prompt name (it wins over the text); ``greeting`` then names the one that plays
    greeting_text: Mapped[str | None] = mapped_column(Text)
    greeting_recording: Mapped[str | None] = mapped_column(String(64))
    # merged lines say "this number is now 12345" until this day
    notice_until: Mapped[dt.date | None]
    active_from: Mapped[dt.datetime | None]
    active_until: Mapped[dt.datetime | None]
    # e.g. "mon-fri 08:30-12:00,13:30-17:30; sat 09:00-12:00"; None = 7×24. Parsed elsewhere.
    business_hours: Mapped[str | None] = mapped_column(String(255))
    # sub_centre: department queue name or dial string; emergency: trunk dial string
    transfer_target: Mapped[str | None] = mapped_column(String(128))
    queue_name: Mapped[str] = mapped_column(String(64), default=MAIN_QUEUE)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    ivr_menu: Mapped[str | None] = mapped_column(String(64))
    no_menu: Mapped[bool] = mapped_column(default=False)
    # longest call on this line in seconds (TIMEOUT(absolute)); None = the centre's default
    max_call_seconds: Mapped[int | None]
    self_service_url: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department | None] = relationship()

    def __repr__(self) -> str:
        return f"<Line {self.number} {self.mode}>"
