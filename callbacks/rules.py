"""The callback list's rules: calling window in centre time, attempts and their spacing, target time."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hotline.config import Settings
from hotline.errors import HotlineError

MAX_ATTEMPTS = 3                                   # at most 3 calls per request
ATTEMPT_SPACING = dt.timedelta(minutes=10)         # between two attempts of one request
TARGET = dt.timedelta(minutes=30)                  # called back within 30 min of the window (目标时限)
SOURCES = ("abandoned", "fallback", "voicemail", "virtual_hold")


@dataclass(frozen=True)
class Window:
    """The calling window (回拨时段) in centre time, e.g. 08:00–21:00; "00:00-24:00" = always."""

    opens: dt.time
    closes: dt.time | None      # None = midnight at the end of the day
    timezone: str

    @classmethod
    def parse(cls, text: str, timezone: str) -> "Window":
        try:
            start, end = (part.strip() for part in text.split("-"))
            opens = dt.time.fromisoformat(start)
            closes = None if end == "24:00" else dt.time.fromisoformat(end)
        except ValueError:
            raise HotlineError(f"callback window {text!r} is not HH:MM-HH:MM",
                               "set HOTLINE_CALLBACK_WINDOW like 08:00-21:00") from None
        if closes is not None and closes <= opens:
            raise HotlineError(f"callback window {text!r} closes before it opens",
                               "set HOTLINE_CALLBACK_WINDOW like 08:00-21:00")
        return cls(opens, closes, timezone)

    def local(self, utc: dt.datetime) -> dt.datetime:
        return utc.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def _utc(self, local: dt.datetime) -> dt.datetime:
        return local.replace(tzinfo=ZoneInfo(self.timezone)).astimezone(dt.timezone.utc).replace(tzinfo=None)

    def contains(self, utc: dt.datetime) -> bool:
        t = self.local(utc).time()
        return self.opens <= t and (self.closes is None or t < self.closes)

    def next_open(self, utc: dt.datetime) -> dt.datetime:
        """``utc`` itself when inside the window, else the next opening (UTC, naive)."""
        if self.contains(utc):
            return utc
        local = self.local(utc)
        day = local.date() if local.time() < self.opens else local.date() + dt.timedelta(days=1)
        return self._utc(dt.datetime.combine(day, self.opens))


def window_of(settings: Settings) -> Window:
    return Window.parse(settings.callback_window, settings.timezone)


def due_at(window: Window, missed_at: dt.datetime) -> dt.datetime:
    """The target time: 30 minutes of calling window after the missed call."""
    return window.next_open(missed_at) + TARGET


def next_attempt_after(window: Window, attempts_made: int, now: dt.datetime) -> dt.datetime | None:
    """When the next attempt may go out; None when all attempts are used."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return window.next_open(now + ATTEMPT_SPACING if attempts_made else now)
