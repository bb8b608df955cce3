"""The number a citizen keys to be called back on (回拨号码): the one rule of what a Chinese phone number is.

A mobile is 11 digits, ``1[3-9]`` then 9 more; a landline is dialed with its area code (区号), ``0`` and
a non-zero digit, 10 to 12 digits in all (``010`` + 8, ``0571`` + 8, ``0xxx`` + 7). Nothing else is
dialed back: not a short code, not an international number (``00``), not a number without its area code.
"""
from __future__ import annotations

import re

NUMBER = re.compile(r"1[3-9]\d{9}|0[1-9]\d{8,10}")
MAX_DIGITS = 12          # the longest number the dialplan reads (Read() maxdigits)


def callback_number(keyed: str | None) -> str | None:
    """The keyed digits as a number to dial back, or None when they are not a Chinese phone number.

    A ``#`` the caller ended the entry with and spaces are dropped; any other character makes it invalid.
    """
    digits = (keyed or "").strip().rstrip("#").replace(" ", "")
    return digits if NUMBER.fullmatch(digits) else None
