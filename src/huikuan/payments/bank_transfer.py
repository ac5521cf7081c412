"""Bank transfer (银行转账): the per-case reference the debtor writes on the transfer.

There is no provider to call and nothing is notified: the debtor transfers to the creditor's
receiving account with ``HK-<case_no>-<check digits>`` in the remark, and the creditor's bank
file (imported as payments) is matched by that reference. The check digits are ISO 7064
MOD 97-10 over the case number's letters and digits (two digits each), so a mistyped character or
two swapped ones are caught when the file is matched (:func:`case_no_of`).
"""

from __future__ import annotations

import re

PREFIX = "HK"
_ALNUM = re.compile(r"[^0-9A-Za-z]")
_REFERENCE = re.compile(r"^HK-(?P<case_no>.+)-(?P<check>\d{2})$")


def _digits(text: str) -> int:
    """Each character as two digits (0-9 as 00-09, A-Z as 10-35, any case), concatenated.

    Fixed width, unlike an IBAN's, so a single mistyped character changes the number by less
    than 97 times a power of 100 — never a multiple of 97 — and is always caught.
    """
    return int("".join(f"{int(char, 36):02d}" for char in _ALNUM.sub("", text).upper()) or "0")


def check_digits(case_no: str) -> str:
    """ISO 7064 MOD 97-10 check digits of ``case_no``.

    >>> check_digits("CASE-c1")
    '34'
    """
    return f"{98 - (_digits(case_no) * 100) % 97:02d}"


def bank_reference(case_no: str) -> str:
    """The transfer remark for a case; stable, so the debtor can reuse it for every transfer.

    >>> bank_reference("CASE-c1")
    'HK-CASE-c1-34'
    """
    return f"{PREFIX}-{case_no}-{check_digits(case_no)}"


def case_no_of(remark: str) -> str | None:
    """The case number a transfer remark names, when its check digits hold; else None.

    >>> case_no_of("HK-CASE-c1-34"), case_no_of("HK-CASE-c1-43"), case_no_of("HK-CASE-cl-34")
    ('CASE-c1', None, None)
    """
    found = _REFERENCE.match(remark.strip())
    if found is None:
        return None
    case_no = found.group("case_no")
    return case_no if (_digits(case_no) * 100 + int(found.group("check"))) % 97 == 1 else None
