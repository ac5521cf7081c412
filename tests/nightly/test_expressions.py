"""The vectorised arithmetic gives exactly the scalar core's answers."""

from datetime import date

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.delinquency import add_months
from huikuan.core.money import Rounding, divide
from huikuan.nightly.expressions import (
    ROUNDING_OFFSETS,
    date_days,
    day_number,
    divide_by_rule,
    due_day_number,
    month_and_day,
)


@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 10**16), st.integers(1, 10**9)), min_size=1, max_size=50
    ),
    rounding=st.sampled_from(list(Rounding)),
)
def test_divide_by_rule_matches_money_divide(
    pairs: list[tuple[int, int]], rounding: Rounding
) -> None:
    frame = pl.DataFrame(pairs, schema={"n": pl.Int64, "d": pl.Int64}, orient="row")
    round_a, round_b = ROUNDING_OFFSETS[rounding]
    half_even = pl.lit(True) if rounding is Rounding.HALF_EVEN else None
    result = frame.select(
        divide_by_rule(pl.col("n"), pl.col("d"), pl.lit(round_a), pl.lit(round_b), half_even)
    ).to_series()
    assert result.to_list() == [divide(n, d, rounding) for n, d in pairs]


def test_exact_halves_follow_each_named_rule() -> None:
    frame = pl.DataFrame({"n": [5, 7, 6], "d": [2, 2, 4]})  # 2.5, 3.5, 1.5
    expected = {
        Rounding.HALF_UP: [3, 4, 2],
        Rounding.HALF_EVEN: [2, 4, 2],
        Rounding.HALF_DOWN: [2, 3, 1],
        Rounding.FLOOR: [2, 3, 1],
        Rounding.CEILING: [3, 4, 2],
    }
    for rounding, values in expected.items():
        round_a, round_b = ROUNDING_OFFSETS[rounding]
        half_even = pl.lit(True) if rounding is Rounding.HALF_EVEN else None
        got = frame.select(
            divide_by_rule(pl.col("n"), pl.col("d"), pl.lit(round_a), pl.lit(round_b), half_even)
        ).to_series()
        assert got.to_list() == values, rounding


@given(
    anchors=st.lists(st.dates(date(1990, 1, 1), date(2090, 12, 31)), min_size=1, max_size=40),
    cycle=st.integers(0, 240),
)
def test_due_dates_match_the_scalar_schedule(anchors: list[date], cycle: int) -> None:
    frame = pl.DataFrame({"first_due": anchors}, schema={"first_due": pl.Date})
    first_month, anchor_day = month_and_day(pl.col("first_due"))
    result = frame.select(
        due_day_number(first_month, anchor_day, pl.lit(cycle, dtype=pl.Int64))
    ).to_series()
    months = frame.select(first_month).to_series().to_list()
    assert months == [a.year * 12 + a.month - 1 for a in anchors]
    assert result.to_list() == [day_number(add_months(a, cycle)) for a in anchors]
    back = frame.select(date_days(pl.col("first_due"))).to_series().to_list()
    assert back == [day_number(a) for a in anchors]
