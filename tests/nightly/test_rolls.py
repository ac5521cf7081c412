"""Roll, cure and 降期 between two dates agree with the scalar movement rule."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.delinquency import movement
from huikuan.core.policy import ProductPolicy, monthly_buckets
from huikuan.nightly.rolls import (
    buckets_on,
    migration_matrix,
    movements_between,
    worst_dpd_by_debtor,
)

POLICY = ProductPolicy(code="CL")
CODES = monthly_buckets().codes
HISTORY_SCHEMA = {
    "account_id": pl.Int64,
    "business_date": pl.Date,
    "from_bucket": pl.String,
    "to_bucket": pl.String,
}


def history(rows: list[tuple[int, date, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=HISTORY_SCHEMA, orient="row")


def test_a_month_of_moves_in_collectors_words() -> None:
    start, end = date(2026, 10, 31), date(2026, 11, 30)
    rows = [
        (1, date(2026, 10, 1), None, "M1"),
        (1, date(2026, 10, 31), "M1", "M2"),
        (1, date(2026, 11, 30), "M2", "M3"),  # rolled forward 迁徙
        (2, date(2026, 10, 1), None, "M3"),
        (2, date(2026, 11, 12), "M3", "M2"),  # a partial payment: 降期
        (3, date(2026, 10, 1), None, "M2"),
        (3, date(2026, 11, 20), "M2", "M0"),  # paid up: cured
        (4, date(2026, 10, 1), None, "M4"),  # no change
        (5, date(2026, 11, 15), None, "M1"),  # placed during the month
    ]
    products = pl.DataFrame({"account_id": [1, 2, 3, 4, 5], "product_code": ["CL"] * 5})
    moves = movements_between(history(rows), products, [POLICY], start, end)
    assert moves.rows() == [
        (1, "M2", "M3", "roll_forward"),
        (2, "M3", "M2", "roll_back"),
        (3, "M2", "M0", "cure"),
        (4, "M4", "M4", "stay"),
        (5, None, "M1", "enter"),
    ]
    assert (
        buckets_on(history(rows), date(2026, 11, 13)).sort("account_id").rows()
        == [
            (1, "M2"),
            (2, "M2"),
            (3, "M2"),
            (4, "M4"),
            (5, None) if False else (5, "M1"),
        ][:4]
    )
    matrix = migration_matrix(moves)
    assert matrix.filter(pl.col("from_bucket") == "M2").rows() == [("M2", "M0", 1), ("M2", "M3", 1)]


@given(
    paths=st.lists(
        st.lists(st.integers(0, len(CODES) - 1), min_size=1, max_size=6), min_size=1, max_size=20
    ),
    start_offset=st.integers(0, 6),
    span=st.integers(0, 6),
)
def test_movements_match_the_scalar_rule(
    paths: list[list[int]], start_offset: int, span: int
) -> None:
    base = date(2026, 1, 1)
    rows: list[tuple[int, date, str | None, str]] = []
    for account_id, path in enumerate(paths, start=1):
        previous: str | None = None
        for step, index in enumerate(path):
            rows.append((account_id, base + timedelta(days=step), previous, CODES[index]))
            previous = CODES[index]
    start = base + timedelta(days=start_offset)
    end = start + timedelta(days=span)
    products = pl.DataFrame(
        {"account_id": list(range(1, len(paths) + 1)), "product_code": ["CL"] * len(paths)}
    )
    moves = movements_between(history(rows), products, [POLICY], start, end)
    for account_id, path in enumerate(paths, start=1):
        before = path[min(start_offset, len(path) - 1)]
        after = path[min(start_offset + span, len(path) - 1)]
        got = moves.filter(pl.col("account_id") == account_id).row(0, named=True)
        assert got["movement"] == movement(before, after).value


def test_worst_dpd_by_debtor_counts_open_accounts_only() -> None:
    accounts = pl.DataFrame(
        {
            "debtor_id": [1, 1, 2, 3],
            "dpd": [12, 95, 0, 400],
            "status": ["open", "open", "open", "settled"],
        }
    )
    assert worst_dpd_by_debtor(accounts).rows() == [(1, 95, 2), (2, 0, 1)]
