"""Checks on personal identifiers that need no lookup: the GB 11643 citizen ID check digit.

Pure functions used by import validation and by the synthetic data generator (which must make
IDs that pass validation without being anyone's).
"""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")


def gb11643_check_char(first17: str) -> str:
    """The 18th character of a resident ID number from its first 17 digits (ISO 7064 MOD 11-2).

    >>> gb11643_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("the first 17 characters of an ID number must be digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def is_valid_cn_id(number: str) -> bool:
    """Format and check digit of an 18-character resident ID number (birth date not checked)."""
    candidate = number.strip().upper()
    if not _ID_PATTERN.match(candidate):
        return False
    return gb11643_check_char(candidate[:17]) == candidate[17]


def is_valid_cn_mobile(number: str) -> bool:
    """An 11-digit mainland mobile number starting 13–19."""
    return bool(_MOBILE_PATTERN.match(number.strip()))


def mask_phone(number: str) -> str:
    """138****1234: the masked form staff see by default."""
    digits = number.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(number: str) -> str:
    """110105********002X: region and check kept, birth date and sequence hidden."""
    value = number.strip()
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"
