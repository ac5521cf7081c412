"""Polars expressions that mirror the scalar core's arithmetic, row by row, in Int64.

Each function returns an expression so the nightly stages can compose them; none of them
materialises anything. They are the vectorised twins of :mod:`huikuan.core.money` and
:mod:`huikuan.core.delinquency` and are held to the same answers by property tests.
"""

from __future__ import annotations

import polars as pl

from huikuan.core.money import Rounding

# Rounding modes as small integer codes so a per-row rounding column stays cheap.
ROUNDING_CODES: dict[Rounding, int] = {
    Rounding.HALF_UP: 0,
    Rounding.HALF_EVEN: 1,
    Rounding.HALF_DOWN: 2,
    Rounding.DOWN: 3,
    Rounding.UP: 4,
    Rounding.FLOOR: 5,
    Rounding.CEILING: 6,
}


def divide_non_negative(
    numerator: pl.Expr, denominator: pl.Expr, rounding_code: pl.Expr
) -> pl.Expr:
    """``numerator ÷ denominator`` for numerator ≥ 0 and denominator > 0, by a per-row rounding.

    For non-negative quotients DOWN equals FLOOR and UP equals CEILING; the half rules
    compare twice the remainder with the denominator, as :func:`huikuan.core.money.divide`.
    """
    quotient = numerator // denominator
    twice_remainder = (numerator - quotient * denominator) * 2
    exact = twice_remainder == 0
    above_half = twice_remainder > denominator
    at_half = twice_remainder == denominator
    round_up = (
        pl.when(exact)
        .then(False)
        .when(rounding_code.is_in([3, 5]))  # DOWN, FLOOR
        .then(False)
        .when(rounding_code.is_in([4, 6]))  # UP, CEILING
        .then(True)
        .when(above_half)
        .then(True)
        .when(~at_half)
        .then(False)
        .when(rounding_code == 0)  # HALF_UP
        .then(True)
        .when(rounding_code == 2)  # HALF_DOWN
        .then(False)
        .otherwise(quotient % 2 == 1)  # HALF_EVEN: up only from an odd quotient
    )
    return quotient + round_up.cast(pl.Int64)


def floor_div(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return numerator // denominator


def month_index(day: pl.Expr) -> pl.Expr:
    """Months since year 0 (``year × 12 + month − 1``)."""
    return day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1


def add_months(anchor: pl.Expr, months: pl.Expr) -> pl.Expr:
    """Twin of :func:`huikuan.core.delinquency.add_months`: anchor day kept, month end clips."""
    target = month_index(anchor) + months
    first_of_month = pl.date(target // 12, target % 12 + 1, 1)
    last_day = first_of_month.dt.days_in_month().cast(pl.Int64)
    day = pl.min_horizontal(anchor.dt.day().cast(pl.Int64), last_day)
    return first_of_month + pl.duration(days=day - 1)


def days_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Whole days from ``earlier`` to ``later`` as Int64."""
    return later.cast(pl.Int32).cast(pl.Int64) - earlier.cast(pl.Int32).cast(pl.Int64)
