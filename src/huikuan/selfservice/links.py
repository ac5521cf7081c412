"""The link in a reminder or letter that opens the debtor's own page: signed, not stored.

A link names one case and the last day it opens, and carries an HMAC-SHA256 tag over both
(truncated to 128 bits), so the bulk planner can put a link in a million reminders without a
database write, nobody can forge or alter one (a changed case id fails the tag), and a
guessed link is a 2^-128 chance. The link alone shows nothing: the page still asks for a
one-time code sent to the phone or email on file (:mod:`huikuan.selfservice.access`).

Format: ``<case id base36>.<valid-until as days since 2000-01-01, base36>.<tag base64url>``
(dots: the tag's alphabet has ``-`` and ``_`` but never ``.``).
Pure but for :func:`configured_link_maker` (settings and the application secret): no
database, no clock (the caller passes ``today``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from huikuan.security.app_secret import app_secret_key
from huikuan.settings import get_settings

EPOCH = date(2000, 1, 1)
LINK_DAYS = 45  # a reminder's link outlives the month it belongs to
TAG_BYTES = 16
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    if number < 0:
        raise ValueError("negative numbers have no base-36 form here")
    digits = []
    while True:
        number, rest = divmod(number, 36)
        digits.append(_ALPHABET[rest])
        if number == 0:
            return "".join(reversed(digits))


def _tag(secret: bytes, case_id: int, valid_until: date) -> str:
    message = f"debtor-link|{case_id}|{valid_until.isoformat()}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:TAG_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class LinkFacts:
    case_id: int
    valid_until: date


def make_link_token(secret: bytes, case_id: int, *, issued_on: date, days: int = LINK_DAYS) -> str:
    valid_until = issued_on + timedelta(days=days)
    return ".".join(
        (_base36(case_id), _base36((valid_until - EPOCH).days), _tag(secret, case_id, valid_until))
    )


def read_link_token(secret: bytes, token: str, *, today: date) -> LinkFacts | None:
    """The case a genuine, unexpired link names; ``None`` for anything else (no reason given,
    so a prober learns nothing from the answer)."""
    if len(token) > 80:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    try:
        case_id = int(parts[0], 36)
        valid_until = EPOCH + timedelta(days=int(parts[1], 36))
    except (ValueError, OverflowError):
        return None
    if not 1 <= case_id < 2**63:
        return None
    if not hmac.compare_digest(parts[2], _tag(secret, case_id, valid_until)):
        return None
    if today > valid_until:
        return None
    return LinkFacts(case_id, valid_until)


def link_secret(secret_key: str) -> bytes:
    """The links' own key, derived from the app's secret so one setting rotates both."""
    return hmac.new(secret_key.encode(), b"huikuan debtor links v1", hashlib.sha256).digest()


LinkMaker = Callable[[int, date], str]


def case_link_maker(base_url: str, secret_key: str) -> LinkMaker:
    """``(case id, issued on) -> URL`` of the debtor's own page, for reminders and letters."""
    secret = link_secret(secret_key)
    base = base_url.rstrip("/")

    def link(case_id: int, issued_on: date) -> str:
        return f"{base}/d/{make_link_token(secret, case_id, issued_on=issued_on)}"

    return link


def configured_link_maker() -> LinkMaker:
    """The link maker of this installation (public base URL and application secret)."""
    return case_link_maker(get_settings().public_base_url, app_secret_key())
