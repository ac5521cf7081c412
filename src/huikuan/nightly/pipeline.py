"""The nightly core as a pipeline of named, timed stages over a whole portfolio.

:func:`close_days` takes the accounts frame (as of the last closed day), the products'
policies, the pauses and each day's receipts, and closes every day up to the target date in
order: ``post_payments`` → ``age`` → ``accrue`` → ``classify`` → ``settle``. It returns the
new accounts frame, the bucket-change history rows, per-day totals and stage timings. The
business date is always a parameter; the timings are the only thing measured from a clock,
and they never influence results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from huikuan.core.policy import ProductPolicy
from huikuan.nightly.frames import empty_payments
from huikuan.nightly.stages import (
    DayTotals,
    accrue,
    age,
    bucket_code,
    bucket_index,
    classify,
    join_partitions,
    normalise_pauses,
    partition_by_product,
    post_payments,
    settle_day,
)

STAGES = ("partition", "post_payments", "age", "accrue", "classify", "settle")


@dataclass
class StageClock:
    """Seconds spent per named stage, summed over the days a run closed."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass(frozen=True)
class ClosedDay:
    business_date: date
    totals: DayTotals


@dataclass(frozen=True)
class NightlyResult:
    accounts: pl.DataFrame
    bucket_changes: pl.DataFrame
    days: tuple[ClosedDay, ...]
    stage_seconds: Mapping[str, float]


class OutOfOrderDayError(ValueError):
    """The portfolio is not all closed through the same day, or the target is in the past."""


def last_closed_day(accounts: pl.DataFrame) -> date:
    through = accounts.get_column("accrued_through").unique()
    if through.len() != 1:
        raise OutOfOrderDayError(
            "accounts are accrued through different days; close them to one date first"
        )
    value = through.item()
    assert isinstance(value, date)
    return value


def close_days(
    accounts: pl.DataFrame,
    policies: Sequence[ProductPolicy],
    through: date,
    *,
    pauses: pl.DataFrame | None = None,
    payments_for: Callable[[date], pl.DataFrame] | None = None,
    clock: StageClock | None = None,
) -> NightlyResult:
    """Close every business day after the accounts' last closed day, through ``through``."""
    clock = clock or StageClock()
    if accounts.height == 0:
        return NightlyResult(accounts, _empty_changes(), (), clock.seconds)
    start = last_closed_day(accounts)
    if through < start:
        raise OutOfOrderDayError(
            f"portfolio already closed through {start}; cannot close {through}"
        )
    by_code = _policies_by_code(policies)
    with clock.stage("partition"):
        parts = partition_by_product(accounts, by_code)
        spans = normalise_pauses(pauses if pauses is not None else pl.DataFrame())
    changes: list[pl.DataFrame] = []
    closed: list[ClosedDay] = []
    day = start
    while day < through:
        day += timedelta(days=1)
        receipts = payments_for(day) if payments_for is not None else empty_payments()
        received = receipts.group_by("account_id").agg(pl.col("amount").sum().alias("_paid"))
        matched = interest = penalty = fee = 0
        for code, part in parts.items():
            policy = by_code[code]
            if received.height:
                with clock.stage("post_payments"):
                    part, count = post_payments(part, received, policy)
                matched += count
            with clock.stage("age"):
                part = age(part, spans, day, policy)
            with clock.stage("accrue"):
                part = accrue(part, day, policy)
            with clock.stage("classify"):
                part, day_changes = classify(part, policy.bucket_scheme, day)
            with clock.stage("settle"):
                part, sums = settle_day(part, day)
            parts[code] = part
            changes.append(day_changes)
            interest, penalty, fee = interest + sums[0], penalty + sums[1], fee + sums[2]
        if matched != received.height:
            raise ValueError(
                f"{received.height - matched} account(s) with receipts on {day} "
                "are not in the portfolio"
            )
        total_received = int(receipts.get_column("amount").sum()) if receipts.height else 0
        closed.append(ClosedDay(day, DayTotals(total_received, interest, penalty, fee)))
    # Buckets come back as an Enum of every scheme's codes: cheap for millions of rows.
    bucket_type = pl.Enum(
        list(dict.fromkeys(code for p in by_code.values() for code in p.bucket_scheme.codes))
    )
    with clock.stage("partition"):
        for code, part in parts.items():
            scheme = by_code[code].bucket_scheme
            index = bucket_index(pl.col("dpd"), scheme)
            parts[code] = part.with_columns(bucket_code(index, scheme, bucket_type).alias("bucket"))
        frame = join_partitions(parts)
    history = (
        pl.concat(changes).sort("business_date", "account_id") if changes else _empty_changes()
    )
    return NightlyResult(frame, history, tuple(closed), clock.seconds)


def age_portfolio(
    accounts: pl.DataFrame,
    policies: Sequence[ProductPolicy],
    as_of: date,
    *,
    pauses: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``accounts`` with ``dpd`` and ``bucket`` as of ``as_of`` by the nightly ageing rule, in
    input order: how new accounts (an import, a synthetic portfolio) get their opening DPD."""
    by_code = _policies_by_code(policies)
    spans = normalise_pauses(pauses if pauses is not None else pl.DataFrame())
    indexed = accounts.with_row_index("_input_order")
    aged = []
    for code, part in partition_by_product(indexed, by_code).items():
        scheme = by_code[code].bucket_scheme
        part = age(part, spans, as_of, by_code[code])
        aged.append(
            part.with_columns(
                pl.col("_dpd").alias("dpd"),
                bucket_code(bucket_index(pl.col("_dpd"), scheme), scheme).alias("bucket"),
            )
        )
    joined = join_partitions({str(i): part for i, part in enumerate(aged)})
    return joined.sort("_input_order").select(
        [*accounts.columns, *(["bucket"] if "bucket" not in accounts.columns else [])]
    )


def _policies_by_code(policies: Sequence[ProductPolicy]) -> dict[str, ProductPolicy]:
    by_code: dict[str, ProductPolicy] = {}
    for policy in policies:
        if by_code.setdefault(policy.code, policy) != policy:
            raise ValueError(f"two different policies share the code {policy.code!r}")
    return by_code


def _empty_changes() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "account_id": pl.Int64(),
            "business_date": pl.Date(),
            "from_bucket": pl.String(),
            "to_bucket": pl.String(),
            "dpd": pl.Int32(),
            "movement": pl.String(),
        }
    )
