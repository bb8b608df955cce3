"""The PBX's minimal CDR file is rotated daily; ends are still found in the rotated parts."""
from __future__ import annotations

import datetime as dt

from calls.cdr import KEEP_DAYS, channel_ends, rotate


def _line(uniqueid: str, end: dt.datetime) -> str:
    return f'"{uniqueid}","{end.replace(tzinfo=dt.timezone.utc).timestamp():.6f}","ANSWERED"\n'


def test_rotation_renames_the_file_and_ends_are_read_from_every_part(tmp_path):
    now = dt.datetime(2026, 12, 1, 3, 0, 0)
    cdr = tmp_path / "Master.csv"
    cdr.write_text(_line("before", now - dt.timedelta(hours=2)))
    assert rotate(cdr, now) == []
    assert not cdr.exists() and (tmp_path / "Master-20261201T030000.csv").exists()
    cdr.write_text(_line("after", now + dt.timedelta(minutes=5)))          # Asterisk's next CDR: a new file
    ends = channel_ends(cdr, ["before", "after", "nobody"])
    assert set(ends) == {"before", "after"}
    assert ends["before"] == now - dt.timedelta(hours=2)


def test_two_rotations_in_one_second_keep_both_and_an_empty_file_is_left_alone(tmp_path):
    now = dt.datetime(2026, 12, 1, 3, 0, 0)
    cdr = tmp_path / "Master.csv"
    cdr.write_text(_line("a", now))
    rotate(cdr, now)
    cdr.write_text(_line("b", now))
    rotate(cdr, now)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Master-20261201T030000-1.csv",
                                                          "Master-20261201T030000.csv"]
    cdr.write_text("")
    rotate(cdr, now)
    assert cdr.exists()                                                     # nothing in it: not rotated
    assert set(channel_ends(cdr, ["a", "b"])) == {"a", "b"}


def test_parts_older_than_the_keep_window_are_removed(tmp_path):
    now = dt.datetime(2026, 12, 10, 3, 0, 0)
    old = tmp_path / "Master-20261201T030000.csv"
    recent = tmp_path / "Master-20261209T030000.csv"
    stranger = tmp_path / "Master-notes.csv"                                # not ours: never removed
    for path in (old, recent, stranger):
        path.write_text(_line(path.stem, now))
    removed = rotate(tmp_path / "Master.csv", now, keep_days=KEEP_DAYS)
    assert removed == [old] and recent.exists() and stranger.exists() and not old.exists()
