"""The number a citizen keys to be called back on (回拨号码): a Chinese mobile or a landline with its area code."""
from __future__ import annotations

import pytest

from callbacks.callback_number import MAX_DIGITS, callback_number


@pytest.mark.parametrize("keyed, number", [
    ("13912345678", "13912345678"),          # mobile: 1[3-9] + 9 digits
    ("19912345678#", "19912345678"),         # the # that ends the entry is not part of it
    ("01012345678", "01012345678"),          # Beijing: 010 + 8 digits
    ("057112345678", "057112345678"),        # 0571 + 8 digits: 12 digits, the longest
    ("0531123456", "0531123456"),            # 0531 + 6 digits: 0 + 9, the shortest
])
def test_a_mobile_or_a_landline_with_its_area_code_is_a_number_to_call_back(keyed, number):
    assert callback_number(keyed) == number
    assert len(number) <= MAX_DIGITS


@pytest.mark.parametrize("keyed", [
    "", None, "#",
    "12912345678",        # 12x is no mobile prefix
    "1391234567",         # a mobile one digit short
    "139123456789",       # and one too long
    "62345678",           # a landline without its area code
    "053112345",          # 0 + 8 digits: too short
    "0571123456789",      # 0 + 12 digits: too long
    "008613912345678",    # international
    "12345",              # a short code, the hotline itself
    "1391234567*",        # a star
])
def test_anything_else_is_not(keyed):
    assert callback_number(keyed) is None
