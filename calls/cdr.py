"""The PBX's own minimal CDR (asterisk_conf/pbx/cdr_custom.conf): the real end of a channel.

Used only for call records left open (a hangup that never reached Python and was
not parked either): the end comes from Asterisk, never from a guess.

The file grows by one short line per channel (a few hundred MB in a big city's
year), so a daily job rotates it: ``Master.csv`` is renamed ``Master-<UTC time>.csv``
(cdr_custom opens the file for every record, so Asterisk starts a new one with the
next CDR) and rotated files older than ``KEEP_DAYS`` are removed. Readers look at
the current file and the rotated ones.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from hotline.config import Settings

KEEP_DAYS = 7           # a stale call is closed within hours; a week of CDRs is plenty
_ROTATED = "Master-*.csv"
_STAMP = "%Y%m%dT%H%M%S"


def cdr_file(settings: Settings) -> Path:
    """Where the PBX writes it: ``<run dir>/asterisk/pbx/log/cdr-custom/Master.csv`` (its astlogdir)."""
    return settings.run_dir / "asterisk" / "pbx" / "log" / "cdr-custom" / "Master.csv"


def rotate(path: Path, now: dt.datetime, keep_days: int = KEEP_DAYS) -> list[Path]:
    """Rename the current CDR file (if it holds anything) and drop rotated files past ``keep_days``.

    ``now`` is naive UTC. Returns the files removed.
    """
    if path.exists() and path.stat().st_size > 0:
        target = path.with_name(f"Master-{now.strftime(_STAMP)}.csv")
        n = 1
        while target.exists():                 # two rotations in one second: never overwrite one
            target = path.with_name(f"Master-{now.strftime(_STAMP)}-{n}.csv")
            n += 1
        path.rename(target)
    removed = []
    for old in path.parent.glob(_ROTATED):
        stamp = _stamp_of(old)
        if stamp is not None and now - stamp > dt.timedelta(days=keep_days):
            old.unlink(missing_ok=True)
            removed.append(old)
    return removed


def _stamp_of(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.stem.split("-")[1], _STAMP)
    except (IndexError, ValueError):
        return None


def channel_ends(path: Path, uniqueids: Iterable[str]) -> dict[str, dt.datetime]:
    """The last CDR end of each wanted channel (naive UTC), from ``path`` and its rotated files.

    Channels without a CDR are left out.
    """
    wanted = set(uniqueids)
    ends: dict[str, dt.datetime] = {}
    if not wanted:
        return ends
    for part in [*sorted(path.parent.glob(_ROTATED)), path]:
        if part.exists():
            _read_ends(part, wanted, ends)
    return ends


def _read_ends(path: Path, wanted: set[str], ends: dict[str, dt.datetime]) -> None:
    with path.open(newline="", errors="replace") as f:
        for row in csv.reader(f):
            if len(row) < 2 or row[0] not in wanted:
                continue
            try:
                epoch = float(row[1])
            except ValueError:
                continue
            if epoch <= 0:          # a CDR that never ended
                continue
            end = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)
            if row[0] not in ends or end > ends[row[0]]:
                ends[row[0]] = end
