"""The nightly core's stages over a whole portfolio, as Polars frame transformations.

The portfolio is split once per run into one partition per product, so every policy value
(rates, grace days, rounding, waterfall, bucket scheme) enters the expressions as a literal and
no per-row policy columns are needed. A business day is then closed, partition by partition,
by these stages in order:

``post_payments``  the day's receipts, allocated by the product's waterfall (one period);
``age``            oldest unpaid due date, paused days, DPD;
``accrue``         interest, penalty interest, late fees, clipped to the cost cap;
``classify``       bucket per the product's scheme and the bucket-change history rows;
``settle``         today's charges folded into the balances.

Each stage is the vectorised twin of a scalar rule in :mod:`huikuan.core` (named in its
docstring) and takes the business date as a parameter; nothing reads the clock. Dates are
day numbers (days since 1970-01-01) inside the stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from huikuan.core.allocation import get_waterfall
from huikuan.core.balances import Component
from huikuan.core.money import PPM, Rounding
from huikuan.core.policy import BucketScheme, PenaltyBase, ProductPolicy
from huikuan.nightly.expressions import (
    FIRST_MONTH,
    MONTH_LENGTHS,
    ROUNDING_OFFSETS,
    date_days,
    day_number,
    divide_by_rule,
    due_day_number,
    month_and_day,
)
from huikuan.nightly.frames import ACCOUNT_SCHEMA, PAUSE_SCHEMA, as_date

_FAR_FUTURE = date(9999, 12, 31)
# Columns that do not change during a run, added once per partition.
RUN_COLUMNS = ["s_first_month", "s_anchor_day"]


class UnknownProductError(ValueError):
    """Accounts refer to a product that has no policy."""


def partition_by_product(
    accounts: pl.DataFrame, policies: dict[str, ProductPolicy]
) -> dict[str, pl.DataFrame]:
    """One frame per product, with the schedule's first due month and anchor day (``s_*``)."""
    codes = accounts.get_column("product_code").unique().sort().to_list()
    unknown = [code for code in codes if code not in policies]
    if unknown:
        raise UnknownProductError(f"no policy configured for product(s): {', '.join(unknown)}")
    first_month, anchor_day = month_and_day(pl.col("first_due"))
    enriched = accounts.with_columns(
        first_month.alias("s_first_month"), anchor_day.alias("s_anchor_day")
    )
    if len(codes) == 1:
        return {codes[0]: enriched}
    parts = enriched.partition_by("product_code", as_dict=True, maintain_order=True)
    return {str(key[0]): part for key, part in parts.items()}


def join_partitions(parts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The partitions back as one frame, without the run columns.

    Rows come product by product (products in code order, accounts in their input order
    within each): deterministic, and no sort of the whole portfolio is paid for.
    """
    frames = [part.drop(RUN_COLUMNS) for part in parts.values()]
    return frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False)


def normalise_pauses(pauses: pl.DataFrame) -> pl.DataFrame:
    """Merge overlapping or touching pauses per account, as the scalar ``paused_days`` does.

    An open pause (``end`` null) runs to a far-future sentinel while merging and is open again
    afterwards.
    """
    if pauses.height == 0:
        return pl.DataFrame(schema=PAUSE_SCHEMA)
    return (
        pauses.with_columns(pl.col("end").fill_null(_FAR_FUTURE).alias("end"))
        .sort("account_id", "start")
        .with_columns(pl.col("end").cum_max().shift(1).over("account_id").alias("reach"))
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


def post_payments(
    frame: pl.DataFrame, received: pl.DataFrame, policy: ProductPolicy
) -> tuple[pl.DataFrame, int]:
    """Twin of :func:`huikuan.core.posting.post_payment`: the waterfall over one balance.

    ``received`` holds one summed amount per account (``account_id``, ``_paid``). Returns the
    frame and how many of those accounts were in it. Receipts on closed accounts, and what
    exceeds an open account's balance, are held as credit (溢缴款). Only the rows that received
    money are computed; their new values are scattered back into the frame.
    """
    rows = (
        frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "account_id")
        .join(received, on="account_id", how="inner")
        .sort("_row")
    )
    if rows.height == 0:
        return frame, 0
    positions = rows.get_column("_row")
    paying = frame[positions].with_columns(rows.get_column("_paid"))
    remaining = pl.when(pl.col("status") == "open").then(pl.col("_paid")).otherwise(0)
    takes: dict[Component, pl.Expr] = {}
    for component in get_waterfall(policy.waterfall_code).order:
        takes[component] = pl.min_horizontal(remaining, pl.col(component.value))
        remaining = remaining - takes[component]
    paying = paying.with_columns(
        [
            takes.get(component, pl.lit(0, dtype=pl.Int64)).alias(f"_take_{component.value}")
            for component in Component
        ]
    )
    applied = pl.sum_horizontal([pl.col(f"_take_{c.value}") for c in Component])
    paying = paying.with_columns(
        *[(pl.col(c.value) - pl.col(f"_take_{c.value}")).alias(c.value) for c in Component],
        (pl.col("paid_to_schedule") + applied).alias("paid_to_schedule"),
        (pl.col("credit") + pl.col("_paid") - applied).alias("credit"),
    ).with_columns(
        pl.when(
            (pl.col("status") == "open")
            & (pl.sum_horizontal([pl.col(c.value) for c in Component]) == 0)
        )
        .then(pl.lit("settled", dtype=ACCOUNT_SCHEMA["status"]))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    changed = [*(c.value for c in Component), "paid_to_schedule", "credit", "status"]
    frame = frame.with_columns(
        frame.get_column(name).scatter(positions, paying.get_column(name)) for name in changed
    )
    return frame, rows.height


def age(
    frame: pl.DataFrame, pauses: pl.DataFrame, day: date, policy: ProductPolicy
) -> pl.DataFrame:
    """Twin of ``oldest_unpaid_due`` and ``days_past_due``: adds ``_dpd`` and ``_paused``.

    ``_oldest`` is the oldest unpaid due date's day number (null when nothing is overdue).
    """
    today = day_number(day)
    cycle = pl.col("paid_to_schedule") // pl.col("instalment")
    due = due_day_number(pl.col("s_first_month"), pl.col("s_anchor_day"), cycle)
    term_paid = pl.col("cycles").is_not_null() & (cycle >= pl.col("cycles"))
    frame = frame.with_columns(
        pl.when(~term_paid & (due <= today)).then(due).otherwise(None).alias("_oldest")
    )
    if pauses.height:
        start = date_days(pl.col("start"))
        last = pl.when(pl.col("end").is_null()).then(today).otherwise(date_days(pl.col("end")) - 1)
        span_first = pl.max_horizontal(start, pl.col("_oldest") + 1)
        span_last = pl.min_horizontal(last, pl.lit(today))
        overlap = (span_last - span_first + 1).clip(lower_bound=0).fill_null(0)
        covers_today = (start <= today) & (last >= today)
        # Only paused accounts are looked at; their figures are scattered into the frame.
        per_row = (
            frame.select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "account_id", "_oldest"
            )
            .join(pauses, on="account_id", how="inner")
            .group_by("_row")
            .agg(overlap.sum().alias("_paused_days"), covers_today.any().alias("_paused"))
        )
        rows = per_row.get_column("_row")
        frame = frame.with_columns(
            pl.zeros(frame.height, dtype=pl.Int64, eager=True)
            .scatter(rows, per_row.get_column("_paused_days"))
            .alias("_paused_days"),
            pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
            .scatter(rows, per_row.get_column("_paused"))
            .alias("_paused"),
        )
    else:
        frame = frame.with_columns(
            pl.lit(0, dtype=pl.Int64).alias("_paused_days"), pl.lit(False).alias("_paused")
        )
    elapsed = today - pl.col("_oldest") - pl.col("_paused_days")
    return frame.with_columns(
        pl.when(elapsed > policy.grace_days)
        .then(elapsed)
        .otherwise(0)
        .fill_null(0)
        .cast(pl.Int32)
        .alias("_dpd")
    )


def _divide(numerator: pl.Expr, denominator: int, rounding: Rounding) -> pl.Expr:
    """The policy's named rounding, vectorised (twin of :func:`huikuan.core.money.divide`)."""
    round_a, round_b = ROUNDING_OFFSETS[rounding]
    half_even = pl.lit(True) if rounding is Rounding.HALF_EVEN else None
    return divide_by_rule(
        numerator, pl.lit(denominator), pl.lit(round_a), pl.lit(round_b), half_even
    )


def accrue(frame: pl.DataFrame, day: date, policy: ProductPolicy) -> pl.DataFrame:
    """Twin of :func:`huikuan.core.accrual.charges_for_day`: adds ``_interest``, ``_penalty``,
    ``_fee`` (today's charges after the cost cap)."""
    today = day_number(day)
    per_day = PPM * policy.day_count.days_in_year
    accrues = pl.col("status") == "open"
    if not policy.accrue_during_pause:
        accrues = accrues & ~pl.col("_paused")

    interest_base = pl.col("principal")
    if policy.interest_compound:
        interest_base = interest_base + pl.col("interest")
    interest = _divide(interest_base * policy.interest_rate_ppm, per_day, policy.rounding)

    penalty_base = pl.col("principal")
    if policy.penalty_base is PenaltyBase.PRINCIPAL_AND_INTEREST:
        penalty_base = penalty_base + pl.col("interest")
    if policy.penalty_compound:
        penalty_base = penalty_base + pl.col("penalty")
    penalty = _divide(penalty_base * policy.penalty_rate_ppm, per_day, policy.rounding)

    # The late fee falls on the first day past a cycle's due date plus grace days: the day
    # looked back at must be that cycle's due date (anchor day clipped to the month's end).
    charges_fees = policy.late_fee_rate_ppm > 0 or policy.late_fee_floor > 0
    fee: pl.Expr = pl.lit(0, dtype=pl.Int64)
    if charges_fees:
        looked_at = day - timedelta(days=policy.grace_days + 1)
        looked_month = looked_at.year * 12 + looked_at.month - 1
        looked_length = int(MONTH_LENGTHS[looked_month - FIRST_MONTH])
        months = looked_month - pl.col("s_first_month")
        missed_cycle = (
            (months >= 0)
            & (pl.col("cycles").is_null() | (months < pl.col("cycles")))
            & (pl.min_horizontal(pl.col("s_anchor_day"), pl.lit(looked_length)) == looked_at.day)
        )
        unpaid = pl.min_horizontal(
            pl.col("instalment"), (months + 1) * pl.col("instalment") - pl.col("paid_to_schedule")
        ).clip(lower_bound=0)
        by_rate = _divide(unpaid * policy.late_fee_rate_ppm, PPM, policy.rounding)
        fee = pl.max_horizontal(pl.lit(policy.late_fee_floor), by_rate)
        if policy.late_fee_ceiling is not None:
            fee = pl.min_horizontal(fee, pl.lit(policy.late_fee_ceiling))
        fee = pl.when(missed_cycle & (unpaid > 0)).then(fee).otherwise(0)

    frame = frame.with_columns(
        pl.when(accrues).then(interest).otherwise(0).alias("_interest"),
        pl.when(accrues & (pl.col("_dpd") > 0)).then(penalty).otherwise(0).alias("_penalty"),
        pl.when(accrues).then(fee).otherwise(0).alias("_fee"),
    )
    if policy.cost_cap_ppm is None:
        return frame
    # Clip to the cost cap in order: interest first, then penalty, then the fee.
    elapsed = today - date_days(pl.col("charge_start")) + 1
    annual_cap = pl.col("cap_base") * policy.cost_cap_ppm // PPM
    cap = (
        pl.when(elapsed <= 0)
        .then(0)
        .otherwise(annual_cap * elapsed // policy.day_count.days_in_year)
    )
    frame = frame.with_columns((cap - pl.col("charged_total")).clip(lower_bound=0).alias("_room"))
    interest_capped = pl.min_horizontal("_interest", "_room")
    penalty_capped = pl.min_horizontal(pl.col("_penalty"), pl.col("_room") - interest_capped)
    fee_capped = pl.min_horizontal(
        pl.col("_fee"), pl.col("_room") - interest_capped - penalty_capped
    )
    return frame.with_columns(
        interest_capped.alias("_interest"),
        penalty_capped.alias("_penalty"),
        fee_capped.alias("_fee"),
    ).drop("_room")


def bucket_index(dpd: pl.Expr, scheme: BucketScheme) -> pl.Expr:
    """Severity index of the bucket holding ``dpd`` (0 is current)."""
    bounds = scheme.lower_bounds[1:]
    return pl.sum_horizontal([(dpd >= bound).cast(pl.Int8) for bound in bounds]).cast(pl.Int8)


def bucket_code(index: pl.Expr, scheme: BucketScheme, dtype: pl.DataType | None = None) -> pl.Expr:
    """The bucket's code; as ``dtype`` (e.g. an Enum of every scheme's codes) when given."""
    labels = pl.Series(list(scheme.codes), dtype=dtype or pl.String())
    return pl.lit(labels).gather(index.cast(pl.Int64))


def classify(
    frame: pl.DataFrame, scheme: BucketScheme, day: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Twin of :func:`huikuan.core.delinquency.bucket_change`: today's bucket history rows."""
    before = bucket_index(pl.col("dpd"), scheme)
    after = bucket_index(pl.col("_dpd"), scheme)
    moved = frame.filter(before != after)
    changes = moved.select(
        "account_id",
        as_date(day).alias("business_date"),
        bucket_code(bucket_index(pl.col("dpd"), scheme), scheme).alias("from_bucket"),
        bucket_code(bucket_index(pl.col("_dpd"), scheme), scheme).alias("to_bucket"),
        pl.col("_dpd").alias("dpd"),
        pl.when(after > before)
        .then(pl.lit("roll_forward"))
        .when(after == 0)
        .then(pl.lit("cure"))
        .otherwise(pl.lit("roll_back"))
        .alias("movement"),
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


def settle_day(frame: pl.DataFrame, day: date) -> tuple[pl.DataFrame, tuple[int, int, int]]:
    """Fold today's charges into the balances and move the accounts to ``day``.

    Returns the frame and today's (interest, penalty, fee) sums.
    """
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
    return frame, (int(sums[0]), int(sums[1]), int(sums[2]))
