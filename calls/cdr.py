"""The PBX's own minimal CDR (asterisk_conf/pbx/cdr_custom.conf): the real end of a channel.

Used only for call records left open (a hangup that never reached Python and was
not parked either): the end comes from Asterisk, never from a guess.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from hotline.config import Settings


def cdr_file(settings: Settings) -> Path:
    """Where the PBX writes it: ``<run dir>/asterisk/pbx/log/cdr-custom/Master.csv`` (its astlogdir)."""
    return settings.run_dir / "asterisk" / "pbx" / "log" / "cdr-custom" / "Master.csv"


def channel_ends(path: Path, uniqueids: Iterable[str]) -> dict[str, dt.datetime]:
    """The last CDR end of each wanted channel (naive UTC); channels without a CDR are left out."""
    wanted = set(uniqueids)
    ends: dict[str, dt.datetime] = {}
    if not wanted or not path.exists():
        return ends
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
    return ends
