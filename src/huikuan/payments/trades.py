"""Values shared by the provider adapters: a provider's view of one trade, and amounts in yuan.

Both adapters turn what a provider says (a notify, a query answer) into a :class:`ProviderTrade`;
the service decides what it means for our order. Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Provider(StrEnum):
    ALIPAY = "alipay"
    WECHAT = "wechat"
    BANK_TRANSFER = "bank_transfer"


class ProviderError(RuntimeError):
    """A provider could not be reached or answered something we cannot use."""


class NotifyRefusedError(ValueError):
    """A notification or query answer failed a check; the reason names which (no personal data)."""


@dataclass(frozen=True, slots=True)
class ProviderTrade:
    """One trade as the provider reports it (after its signature was verified)."""

    provider: Provider
    merchant: str  # Alipay app_id / WeChat mchid the trade belongs to
    out_trade_no: str
    trade_no: str  # the provider's id (Alipay trade_no, WeChat transaction_id)
    amount: int  # fen
    paid: bool
    closed: bool
    paid_at: datetime | None  # aware


_YUAN = re.compile(r"^(0|[1-9]\d{0,13})(?:\.(\d{1,2}))?$")


def yuan_text(fen: int) -> str:
    """Fen as the yuan string Alipay's ``total_amount`` takes.

    >>> yuan_text(8888), yuan_text(5), yuan_text(100)
    ('88.88', '0.05', '1.00')
    """
    if fen < 0:
        raise ValueError("amounts are never negative")
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: str) -> int:
    """A yuan amount string as integer fen, exactly (no float on the way).

    >>> fen_of("88.88"), fen_of("0.5"), fen_of("12")
    (8888, 50, 1200)
    """
    found = _YUAN.match(text.strip())
    if found is None:
        raise NotifyRefusedError("amount is not a yuan amount")
    cents = (found.group(2) or "").ljust(2, "0")
    return int(found.group(1)) * 100 + int(cents)
