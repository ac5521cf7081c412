"""The nightly core's stages over a whole portfolio, as Polars frame transformations.

A business day is closed by :func:`close_day`, which runs, in order:

``post_payments``  the day's receipts, allocated by each product's waterfall (one period);
``age``            oldest unpaid due date, paused days, DPD;
``accrue``         interest, penalty interest, late fees, clipped to the cost cap;
``classify``       bucket per the product's scheme and the bucket-change history rows.

Each stage is the vectorised twin of a scalar rule in :mod:`huikuan.core` (named in its
docstring) and takes the business date as a parameter; nothing reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from huikuan.core.allocation import get_waterfall
from huikuan.core.balances import Component
from huikuan.core.money import PPM
from huikuan.core.policy import BucketScheme
from huikuan.nightly.expressions import add_months, days_between, divide_non_negative, month_index
from huikuan.nightly.frames import ACCOUNT_SCHEMA, PAUSE_SCHEMA, POLICY_SCHEMA, as_date

POLICY_COLUMNS = [name for name in POLICY_SCHEMA if name != "product_code"]
_FAR_FUTURE = date(9999, 12, 31)


class UnknownProductError(ValueError):
    """Accounts refer to a product that has no policy."""


def attach_policies(accounts: pl.DataFrame, policies: pl.DataFrame) -> pl.DataFrame:
    """Join each account to its product's policy columns (``p_*``), once per run."""
    joined = accounts.join(policies, on="product_code", how="left")
    missing = joined.filter(pl.col("p_days_in_year").is_null())
    if missing.height:
        codes = sorted(missing.get_column("product_code").unique().to_list())
        raise UnknownProductError(f"no policy configured for product(s): {', '.join(codes)}")
    return joined


def detach_policies(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop the policy columns again; other columns the caller carried (debtor id …) stay."""
    return frame.drop(POLICY_COLUMNS)


def normalise_pauses(pauses: pl.DataFrame) -> pl.DataFrame:
    """Merge overlapping or touching pauses per account, as the scalar ``paused_days`` does.

    An open pause (``end`` null) runs to a far-future sentinel while merging and is open again
    afterwards.
    """
    if pauses.height == 0:
        return pl.DataFrame(schema=PAUSE_SCHEMA)
    spans = (
        pauses.with_columns(pl.col("end").fill_null(_FAR_FUTURE).alias("end"))
        .sort("account_id", "start")
        .with_columns(
            pl.col("end").cum_max().shift(1).over("account_id").alias("reach"),
        )
        .with_columns(
            (pl.col("reach").is_null() | (pl.col("start") > pl.col("reach")))
            .cast(pl.Int64)
            .cum_sum()
            .over("account_id")
            .alias("span")
        )
        .group_by("account_id", "span")
        .agg(pl.col("start").min(), pl.col("end").max())
        .with_columns(
            pl.when(pl.col("end") == _FAR_FUTURE).then(None).otherwise(pl.col("end")).alias("end")
        )
        .select("account_id", "start", "end")
        .sort("account_id", "start")
    )
    return spans


def post_payments(frame: pl.DataFrame, payments: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Twin of :func:`huikuan.core.posting.post_payment`: the waterfall over one balance.

    Returns the frame and the total amount received. Receipts on closed accounts, and what
    exceeds an open account's balance, are held as credit (溢缴款).
    """
    if payments.height == 0:
        return frame, 0
    received = payments.group_by("account_id").agg(pl.col("amount").sum().alias("_paid"))
    frame = frame.join(received, on="account_id", how="left").with_columns(
        pl.col("_paid").fill_null(0)
    )
    is_open = pl.col("status") == "open"
    columns: dict[str, pl.Expr] = {}
    for code in frame.get_column("p_waterfall").unique().to_list():
        order = get_waterfall(code).order
        remaining = pl.when(is_open).then(pl.col("_paid")).otherwise(0)
        takes: dict[Component, pl.Expr] = {}
        for component in order:
            takes[component] = pl.min_horizontal(remaining, pl.col(component.value))
            remaining = remaining - takes[component]
        for component in Component:
            take = takes.get(component, pl.lit(0, dtype=pl.Int64))
            current = columns.get(f"_take_{component.value}", pl.lit(0, dtype=pl.Int64))
            columns[f"_take_{component.value}"] = (
                pl.when(pl.col("p_waterfall") == code).then(take).otherwise(current)
            )
    frame = frame.with_columns(**columns)
    applied = pl.sum_horizontal([pl.col(f"_take_{c.value}") for c in Component])
    frame = frame.with_columns(
        *[(pl.col(c.value) - pl.col(f"_take_{c.value}")).alias(c.value) for c in Component],
        (pl.col("paid_to_schedule") + applied).alias("paid_to_schedule"),
        (pl.col("credit") + pl.col("_paid") - applied).alias("credit"),
    ).with_columns(
        pl.when(
            is_open
            & (pl.col("_paid") > 0)
            & (pl.sum_horizontal([pl.col(c.value) for c in Component]) == 0)
        )
        .then(pl.lit("settled", dtype=ACCOUNT_SCHEMA["status"]))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    total = int(payments.get_column("amount").sum())
    return frame.drop("_paid", *[f"_take_{c.value}" for c in Component]), total


def age(frame: pl.DataFrame, pauses: pl.DataFrame, day: date) -> pl.DataFrame:
    """Twin of ``oldest_unpaid_due`` and ``days_past_due``: adds ``_dpd`` and ``_paused``."""
    today = as_date(day)
    cycle = pl.col("paid_to_schedule") // pl.col("instalment")
    due = add_months(pl.col("first_due"), cycle)
    frame = frame.with_columns(
        pl.when(pl.col("cycles").is_not_null() & (cycle >= pl.col("cycles")))
        .then(None)
        .when(due <= today)
        .then(due)
        .otherwise(None)
        .alias("_oldest_due")
    )
    if pauses.height:
        window_first = pl.col("_oldest_due") + pl.duration(days=1)
        span_first = pl.max_horizontal(pl.col("start"), window_first)
        span_last = pl.min_horizontal(
            pl.when(pl.col("end").is_null())
            .then(today)
            .otherwise(pl.col("end") - pl.duration(days=1)),
            today,
        )
        overlap = (days_between(span_last, span_first) + 1).clip(lower_bound=0).fill_null(0)
        covers_today = (pl.col("start") <= today) & (
            pl.col("end").is_null() | (today < pl.col("end"))
        )
        per_account = (
            pauses.join(frame.select("account_id", "_oldest_due"), on="account_id", how="inner")
            .group_by("account_id")
            .agg(overlap.sum().alias("_paused_days"), covers_today.any().alias("_paused"))
        )
        frame = frame.join(per_account, on="account_id", how="left").with_columns(
            pl.col("_paused_days").fill_null(0), pl.col("_paused").fill_null(False)
        )
    else:
        frame = frame.with_columns(
            pl.lit(0, dtype=pl.Int64).alias("_paused_days"), pl.lit(False).alias("_paused")
        )
    elapsed = days_between(today, pl.col("_oldest_due")) - pl.col("_paused_days")
    return frame.with_columns(
        pl.when(pl.col("_oldest_due").is_null())
        .then(0)
        .when(elapsed > pl.col("p_grace_days"))
        .then(elapsed)
        .otherwise(0)
        .cast(pl.Int32)
        .alias("_dpd")
    )


def accrue(frame: pl.DataFrame, day: date) -> pl.DataFrame:
    """Twin of :func:`huikuan.core.accrual.charges_for_day`: adds ``_interest``, ``_penalty``,
    ``_fee`` (today's charges after the cost cap)."""
    today = as_date(day)
    rounding = pl.col("p_rounding")
    per_day = PPM * pl.col("p_days_in_year")
    accrues = (pl.col("status") == "open") & (pl.col("p_accrue_during_pause") | ~pl.col("_paused"))

    interest_base = pl.col("principal") + pl.when(pl.col("p_interest_compound")).then(
        pl.col("interest")
    ).otherwise(0)
    interest = divide_non_negative(interest_base * pl.col("p_interest_rate_ppm"), per_day, rounding)

    penalty_base = (
        pl.col("principal")
        + pl.when(pl.col("p_penalty_on_interest")).then(pl.col("interest")).otherwise(0)
        + pl.when(pl.col("p_penalty_compound")).then(pl.col("penalty")).otherwise(0)
    )
    penalty = divide_non_negative(penalty_base * pl.col("p_penalty_rate_ppm"), per_day, rounding)

    # The late fee falls on the first day past a cycle's due date plus grace days.
    looked_at = today - pl.duration(days=pl.col("p_grace_days") + 1)
    months = month_index(looked_at) - month_index(pl.col("first_due"))
    missed_cycle = (
        (months >= 0)
        & (pl.col("cycles").is_null() | (months < pl.col("cycles")))
        & (add_months(pl.col("first_due"), months.clip(lower_bound=0)) == looked_at)
    )
    unpaid = pl.min_horizontal(
        pl.col("instalment"), (months + 1) * pl.col("instalment") - pl.col("paid_to_schedule")
    ).clip(lower_bound=0)
    fee_by_rate = divide_non_negative(
        unpaid * pl.col("p_late_fee_rate_ppm"), pl.lit(PPM, dtype=pl.Int64), rounding
    )
    fee_floored = pl.max_horizontal(pl.col("p_late_fee_floor"), fee_by_rate)
    fee_capped = (
        pl.when(pl.col("p_late_fee_ceiling").is_null())
        .then(fee_floored)
        .otherwise(pl.min_horizontal(fee_floored, pl.col("p_late_fee_ceiling")))
    )
    charges_fee = (
        missed_cycle
        & (unpaid > 0)
        & ((pl.col("p_late_fee_rate_ppm") > 0) | (pl.col("p_late_fee_floor") > 0))
    )

    frame = frame.with_columns(
        pl.when(accrues).then(interest).otherwise(0).alias("_interest"),
        pl.when(accrues & (pl.col("_dpd") > 0)).then(penalty).otherwise(0).alias("_penalty"),
        pl.when(accrues & charges_fee).then(fee_capped).otherwise(0).alias("_fee"),
    )

    elapsed = days_between(today, pl.col("charge_start")) + 1
    annual_cap = pl.col("cap_base") * pl.col("p_cost_cap_ppm") // PPM
    cap = pl.when(elapsed <= 0).then(0).otherwise(annual_cap * elapsed // pl.col("p_days_in_year"))
    room = (cap - pl.col("charged_total")).clip(lower_bound=0)
    capped = pl.col("p_cost_cap_ppm").is_not_null()
    frame = frame.with_columns(room.alias("_room"))
    frame = frame.with_columns(
        pl.when(capped)
        .then(pl.min_horizontal("_interest", "_room"))
        .otherwise(pl.col("_interest"))
        .alias("_interest")
    )
    frame = frame.with_columns(
        pl.when(capped)
        .then(pl.min_horizontal(pl.col("_penalty"), pl.col("_room") - pl.col("_interest")))
        .otherwise(pl.col("_penalty"))
        .alias("_penalty")
    )
    return frame.with_columns(
        pl.when(capped)
        .then(
            pl.min_horizontal(
                pl.col("_fee"), pl.col("_room") - pl.col("_interest") - pl.col("_penalty")
            )
        )
        .otherwise(pl.col("_fee"))
        .alias("_fee")
    ).drop("_room")


def bucket_index(dpd: pl.Expr, schemes: Mapping[str, BucketScheme]) -> pl.Expr:
    """Severity index of the bucket holding ``dpd`` under each row's scheme."""
    result: pl.Expr = pl.lit(None, dtype=pl.Int8)
    for code, scheme in schemes.items():
        index = pl.sum_horizontal([(dpd >= bound).cast(pl.Int8) for bound in scheme.lower_bounds])
        result = pl.when(pl.col("p_bucket_scheme") == code).then(index - 1).otherwise(result)
    return result.cast(pl.Int8)


def bucket_code(index: pl.Expr, schemes: Mapping[str, BucketScheme]) -> pl.Expr:
    result: pl.Expr = pl.lit(None, dtype=pl.String)
    for code, scheme in schemes.items():
        labels = pl.lit(list(scheme.codes), dtype=pl.List(pl.String))
        result = (
            pl.when(pl.col("p_bucket_scheme") == code)
            .then(labels.list.get(index.cast(pl.Int64)))
            .otherwise(result)
        )
    return result


def classify(
    frame: pl.DataFrame, schemes: Mapping[str, BucketScheme], day: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Twin of :func:`huikuan.core.delinquency.bucket_change`: today's bucket and history rows."""
    frame = frame.with_columns(
        bucket_index(pl.col("dpd"), schemes).alias("_bucket_before"),
        bucket_index(pl.col("_dpd"), schemes).alias("_bucket"),
    )
    before = pl.col("_bucket_before")
    after = pl.col("_bucket")
    changes = (
        frame.filter(before != after)
        .select(
            "account_id",
            as_date(day).alias("business_date"),
            bucket_code(before, schemes).alias("from_bucket"),
            bucket_code(after, schemes).alias("to_bucket"),
            pl.col("_dpd").alias("dpd"),
            pl.when(after > before)
            .then(pl.lit("roll_forward"))
            .when(after == 0)
            .then(pl.lit("cure"))
            .otherwise(pl.lit("roll_back"))
            .alias("movement"),
        )
        .sort("account_id")
    )
    return frame, changes


@dataclass(frozen=True, slots=True)
class DayTotals:
    """What one closed day added, across the portfolio."""

    received: int
    interest: int
    penalty: int
    fee: int

    @property
    def accrued(self) -> int:
        return self.interest + self.penalty + self.fee


def settle_day(frame: pl.DataFrame, day: date) -> tuple[pl.DataFrame, DayTotals]:
    """Fold today's charges into the balances and move the accounts to ``day``."""
    sums = frame.select(
        pl.col("_interest").sum(), pl.col("_penalty").sum(), pl.col("_fee").sum()
    ).row(0)
    frame = frame.with_columns(
        (pl.col("interest") + pl.col("_interest")).alias("interest"),
        (pl.col("penalty") + pl.col("_penalty")).alias("penalty"),
        (pl.col("fee") + pl.col("_fee")).alias("fee"),
        (pl.col("charged_total") + pl.col("_interest") + pl.col("_penalty") + pl.col("_fee")).alias(
            "charged_total"
        ),
        pl.col("_dpd").alias("dpd"),
        as_date(day).alias("accrued_through"),
    ).drop([name for name in frame.columns if name.startswith("_")])
    return frame, DayTotals(
        received=0, interest=int(sums[0]), penalty=int(sums[1]), fee=int(sums[2])
    )
