"""Polars expressions that mirror the scalar core's arithmetic, row by row, in Int64.

Each function returns an expression so the nightly stages can compose them; none of them
materialises anything. They are the vectorised twins of :mod:`huikuan.core.money` and
:mod:`huikuan.core.delinquency` and are held to the same answers by property tests.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np
import polars as pl

from huikuan.core.money import Rounding

# Calendar lookup tables, indexed by month index − FIRST_MONTH: day number (days since
# 1970-01-01) of each month's first day, and each month's length. Gathering from them is far
# cheaper than building dates row by row.
FIRST_MONTH = 1900 * 12
_LAST_MONTH = 2400 * 12
_EPOCH = date(1970, 1, 1)
_MONTH_STARTS = [
    (date(m // 12, m % 12 + 1, 1) - _EPOCH).days for m in range(FIRST_MONTH, _LAST_MONTH + 1)
]
MONTH_START_DAYS = pl.Series("month_start", _MONTH_STARTS, dtype=pl.Int64)
MONTH_LENGTHS = pl.Series(
    "month_length",
    [b - a for a, b in pairwise(_MONTH_STARTS)] + [31],
    dtype=pl.Int64,
)


# For every day number from 1900-01-01 to 2400-12-31: its month index and day of month.
_FIRST_DAY = (date(1900, 1, 1) - _EPOCH).days
_DAYS = np.arange(np.datetime64("1900-01-01"), np.datetime64("2401-01-01"))
_MONTHS = _DAYS.astype("datetime64[M]")
MONTH_OF_DAY = pl.Series("month_of_day", _MONTHS.astype(np.int64) + 1970 * 12, dtype=pl.Int64)
DAY_OF_MONTH = pl.Series(
    "day_of_month", (_DAYS - _MONTHS.astype("datetime64[D]")).astype(np.int64) + 1, dtype=pl.Int64
)


def month_and_day(day: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A ``Date`` column's month index and day of month, by table lookup (no date parsing)."""
    offset = date_days(day) - _FIRST_DAY
    return pl.lit(MONTH_OF_DAY).gather(offset), pl.lit(DAY_OF_MONTH).gather(offset)


def day_number(value: date) -> int:
    """Days since 1970-01-01, the integer form dates take inside the stages."""
    return (value - _EPOCH).days


def date_days(day: pl.Expr) -> pl.Expr:
    """A ``Date`` column as its day number (Int64)."""
    return day.cast(pl.Int32).cast(pl.Int64)


def month_start_days(month: pl.Expr) -> pl.Expr:
    return pl.lit(MONTH_START_DAYS).gather(month - FIRST_MONTH)


def month_length(month: pl.Expr) -> pl.Expr:
    return pl.lit(MONTH_LENGTHS).gather(month - FIRST_MONTH)


def due_day_number(first_month: pl.Expr, anchor_day: pl.Expr, cycle: pl.Expr) -> pl.Expr:
    """Day number of a schedule's ``cycle``-th due date: anchor day clipped to the month's end."""
    month = first_month + cycle
    return month_start_days(month) + pl.min_horizontal(anchor_day, month_length(month)) - 1


def divide_by_rule(
    numerator: pl.Expr,
    denominator: pl.Expr,
    round_a: pl.Expr,
    round_b: pl.Expr,
    half_even: pl.Expr | None,
) -> pl.Expr:
    """``numerator ÷ denominator`` (numerator ≥ 0, denominator > 0) by each row's rounding.

    Every rule but half-even is one floor division: ``(2n + a·d + b) // 2d`` with (a, b) =
    (0, 0) floor/down, (2, −1) ceiling/up, (1, 0) half-up, (1, −1) half-down (see
    :data:`ROUNDING_OFFSETS`). Half-even needs the parity of the quotient, so it is only
    built when some product uses it (``half_even`` not ``None``).
    """
    offset_rule = (numerator * 2 + round_a * denominator + round_b) // (denominator * 2)
    if half_even is None:
        return offset_rule
    quotient = numerator // denominator
    twice_remainder = (numerator - quotient * denominator) * 2
    even_rule = quotient + (
        (twice_remainder > denominator) | ((twice_remainder == denominator) & (quotient % 2 == 1))
    ).cast(pl.Int64)
    return pl.when(half_even).then(even_rule).otherwise(offset_rule)


ROUNDING_OFFSETS: dict[Rounding, tuple[int, int]] = {
    Rounding.FLOOR: (0, 0),
    Rounding.DOWN: (0, 0),
    Rounding.CEILING: (2, -1),
    Rounding.UP: (2, -1),
    Rounding.HALF_UP: (1, 0),
    Rounding.HALF_DOWN: (1, -1),
    Rounding.HALF_EVEN: (1, 0),  # ties are then decided by the parity branch
}
