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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from huikuan.core.policy import ProductPolicy
from huikuan.nightly.frames import bucket_schemes, empty_payments, policies_frame
from huikuan.nightly.stages import (
    DayTotals,
    accrue,
    age,
    attach_policies,
    bucket_code,
    bucket_index,
    classify,
    detach_policies,
    normalise_pauses,
    post_payments,
    settle_day,
)

STAGES = ("post_payments", "age", "accrue", "classify", "settle")


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
    policies: list[ProductPolicy] | tuple[ProductPolicy, ...],
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
    schemes = bucket_schemes(policies)
    frame = attach_policies(accounts, policies_frame(policies))
    spans = normalise_pauses(pauses) if pauses is not None else normalise_pauses(pl.DataFrame())
    changes: list[pl.DataFrame] = []
    closed: list[ClosedDay] = []
    day = start
    while day < through:
        day += timedelta(days=1)
        receipts = payments_for(day) if payments_for is not None else empty_payments()
        with clock.stage("post_payments"):
            frame, received = post_payments(frame, receipts)
        with clock.stage("age"):
            frame = age(frame, spans, day)
        with clock.stage("accrue"):
            frame = accrue(frame, day)
        with clock.stage("classify"):
            frame, day_changes = classify(frame, schemes, day)
        with clock.stage("settle"):
            frame, totals = settle_day(frame, day)
        changes.append(day_changes)
        closed.append(
            ClosedDay(day, DayTotals(received, totals.interest, totals.penalty, totals.fee))
        )
    history = pl.concat(changes) if changes else _empty_changes()
    frame = frame.with_columns(
        bucket_code(bucket_index(pl.col("dpd"), schemes), schemes).alias("bucket")
    )
    return NightlyResult(detach_policies(frame), history, tuple(closed), clock.seconds)


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
