"""Exact money: integer minor units, named rounding rules, rates in parts per million.

Nothing here touches ``float``. Every division that can leave a remainder goes through
:func:`divide` with a named :class:`Rounding`, so each rounding step in the product is
written down once and can be searched for. Splits always add up to the amount split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Self

# Minor-unit exponent per ISO 4217 currency we handle (fen, cents, yen).
CURRENCY_EXPONENT: dict[str, int] = {"CNY": 2, "USD": 2, "HKD": 2, "EUR": 2, "JPY": 0}

PPM = 1_000_000
"""Rates are integers in parts per million: 5% is 50_000, 0.05% a day is 500."""


class Rounding(StrEnum):
    """How a quotient with a remainder becomes a whole number of minor units."""

    HALF_UP = "half_up"  # 0.5 away from zero: 2.5 -> 3, -2.5 -> -3 (commercial rounding, 四舍五入)
    HALF_EVEN = "half_even"  # 0.5 to the even neighbour: 2.5 -> 2, 3.5 -> 4
    HALF_DOWN = "half_down"  # 0.5 toward zero: 2.5 -> 2
    DOWN = "down"  # truncate toward zero
    UP = "up"  # away from zero
    FLOOR = "floor"  # toward minus infinity
    CEILING = "ceiling"  # toward plus infinity

    BANKERS = "half_even"  # banker's rounding is half-even; an alias so policies may name either


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


def divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    """Integer ``numerator / denominator`` rounded by ``rounding``; exact for any ints.

    >>> up, even = Rounding.HALF_UP, Rounding.HALF_EVEN
    >>> divide(5, 2, up), divide(5, 2, even), divide(-5, 2, up)
    (3, 2, -3)
    >>> divide(7, 3, Rounding.DOWN), divide(7, 3, Rounding.UP), divide(-7, 3, Rounding.FLOOR)
    (2, 3, -3)
    """
    if denominator == 0:
        raise ZeroDivisionError("division by zero in money arithmetic")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)  # floor division: remainder >= 0
    if remainder == 0:
        return quotient
    negative = numerator < 0
    # quotient is the floor; quotient + 1 the ceiling. Decide which one each rule takes.
    if rounding is Rounding.FLOOR:
        return quotient
    if rounding is Rounding.CEILING:
        return quotient + 1
    if rounding is Rounding.DOWN:
        return quotient + 1 if negative else quotient
    if rounding is Rounding.UP:
        return quotient if negative else quotient + 1
    twice = 2 * remainder
    if twice < denominator:
        return quotient
    if twice > denominator:
        return quotient + 1
    # Exactly half-way between quotient and quotient + 1.
    if rounding is Rounding.HALF_UP:
        return quotient if negative else quotient + 1
    if rounding is Rounding.HALF_DOWN:
        return quotient + 1 if negative else quotient
    return quotient if quotient % 2 == 0 else quotient + 1  # HALF_EVEN


def apply_rate(amount: int, rate_ppm: int, rounding: Rounding) -> int:
    """``amount × rate`` in minor units, rate in parts per million.

    >>> apply_rate(10_000_000, 50_000, Rounding.HALF_UP)  # 5% of 100,000.00
    500000
    """
    return divide(amount * rate_ppm, PPM, rounding)


def parse_rate_ppm(text: str | int | Decimal) -> int:
    """A percentage written as text (``"5"``, ``"0.05"``, ``"24%"``) to parts per million, exactly.

    >>> parse_rate_ppm("5%"), parse_rate_ppm("0.05"), parse_rate_ppm("24")
    (50000, 500, 240000)
    """
    raw = str(text).strip().removesuffix("%").strip()
    try:
        value = Decimal(raw) * 10_000
    except InvalidOperation as exc:
        raise ValueError(f"not a percentage: {text!r}") from exc
    if value != value.to_integral_value():
        raise ValueError(f"percentage {text!r} is finer than one part per million")
    return int(value)


def parse_minor(text: str | int | Decimal, currency: str = "CNY") -> int:
    """Major units written as text (``"1,234.56"``) to minor units, refusing sub-minor precision.

    >>> parse_minor("1,234.56"), parse_minor("100"), parse_minor("7", "JPY")
    (123456, 10000, 7)
    """
    exponent = exponent_of(currency)
    raw = str(text).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {text!r} has more than {exponent} decimal places for {currency}")
    return int(scaled)


def exponent_of(currency: str) -> int:
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError as exc:
        raise ValueError(f"unknown currency {currency!r}") from exc


def format_minor(minor: int, currency: str = "CNY", *, grouping: bool = True) -> str:
    """Minor units as major-unit text, exactly.

    >>> format_minor(123456), format_minor(-5), format_minor(700, "JPY")
    ('1,234.56', '-0.05', '700')
    """
    exponent = exponent_of(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    whole_text = f"{whole:,}" if grouping else str(whole)
    if exponent == 0:
        return f"{sign}{whole_text}"
    return f"{sign}{whole_text}.{fraction:0{exponent}d}"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: integer minor units and an ISO 4217 currency."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"Money needs integer minor units, got {type(self.minor).__name__}")
        exponent_of(self.currency)

    @classmethod
    def of(cls, major: str | int | Decimal, currency: str = "CNY") -> Self:
        """``Money.of("100.50")`` is 10050 fen."""
        return cls(parse_minor(major, currency), currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Self:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def times_rate(self, rate_ppm: int, rounding: Rounding) -> Money:
        return Money(apply_rate(self.minor, rate_ppm, rounding), self.currency)

    def split(self, weights: Sequence[int]) -> list[Money]:
        return [Money(part, self.currency) for part in split_by_weights(self.minor, weights)]

    def __str__(self) -> str:
        return f"{format_minor(self.minor, self.currency)} {self.currency}"


def split_by_weights(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to non-negative ``weights``; the parts sum to ``total``.

    Largest-remainder method: each part is floored, then the minor units left over go one each
    to the parts with the largest remainders (ties to the earlier part), so the result is exact
    and deterministic.

    >>> split_by_weights(100, [1, 1, 1])
    [34, 33, 33]
    >>> split_by_weights(-100, [1, 1, 1])
    [-34, -33, -33]
    """
    if not weights:
        raise ValueError("cannot split into zero parts")
    if any(w < 0 for w in weights):
        raise ValueError("split weights must be non-negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("split weights must not all be zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(magnitude * weight, weight_sum)
        floors.append(part)
        remainders.append(remainder)
    leftover = magnitude - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return [sign * part for part in floors]


def split_evenly(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` near-equal parts, larger ones first, summing to ``total``.

    >>> split_evenly(1000, 3)
    [334, 333, 333]
    """
    if parts <= 0:
        raise ValueError("parts must be positive")
    return split_by_weights(total, [1] * parts)
