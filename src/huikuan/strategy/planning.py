"""Pure, vectorised planning: segment every account, draw its arm, list the actions due today.

Nothing here touches a database or a clock: the same frame, strategy and date always give
the same answer, so a nightly run can be replayed and a dry run shows exactly what would go
out. The actions listed are candidates; dispatch still puts each one through the compliance
guard (quiet hours, frequency caps, holds) before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from huikuan.nightly.expressions import day_number, due_day_number, month_and_day
from huikuan.strategy.document import (
    ARM_SLOTS,
    CODE_CONDITIONS,
    RANGE_CONDITIONS,
    Conditions,
    ExitOn,
    Step,
    Strategy,
)

ACTION_SCHEMA: dict[str, pl.DataType] = {
    "strategy_code": pl.String(),
    "strategy_version": pl.Int32(),
    "as_of": pl.Date(),
    "account_id": pl.Int64(),
    "segment": pl.String(),
    "treatment": pl.String(),
    "arm": pl.String(),
    "step": pl.Int32(),  # 1-based position in the treatment
    "channel": pl.String(),
    "template": pl.String(),
    "priority": pl.Int32(),  # 1 is the most urgent
    "reason": pl.String(),  # "dpd=3", "due-3"
}

_BALANCE_PARTS = ("principal", "interest", "penalty", "fee")
_MAX_CYCLE = 1200  # due dates more than 100 years out never fall due in a run


def arm_slot(strategy_code: str, account_id: int | str) -> int:
    """The account's slot in ``0 … 9999``: BLAKE2b-64 of ``code`` + unit separator + id.

    Independent of Python's hash seed, the process and the platform; the strategy version is
    left out on purpose so an account keeps its arm when a strategy is revised.
    """
    key = f"{strategy_code}\x1f{account_id}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % ARM_SLOTS


def arm_of(account_id: int | str, strategy: Strategy) -> str:
    slot = arm_slot(strategy.code, account_id)
    upper = 0
    for arm in strategy.arms:
        upper += arm.slots
        if slot < upper:
            return arm.code
    raise AssertionError("unreachable: arm shares add up to ARM_SLOTS")


def assign_arms(account_ids: Iterable[int] | pl.Series, strategy: Strategy) -> pl.DataFrame:
    """``account_id``, ``arm_slot`` and ``arm`` for each id: arms take slots in declared order."""
    ids = list(account_ids)
    slots = [arm_slot(strategy.code, account_id) for account_id in ids]
    frame = pl.DataFrame(
        {"account_id": ids, "arm_slot": slots},
        schema={"account_id": pl.Int64(), "arm_slot": pl.Int32()},
    )
    choices = []
    upper = 0
    for candidate in strategy.arms:
        upper += candidate.slots
        choices.append(pl.when(pl.col("arm_slot") < upper).then(pl.lit(candidate.code)))
    arm = pl.coalesce(choices) if choices else pl.lit(None)
    return frame.with_columns(arm.cast(pl.String()).alias("arm"))


def _bucket_expr(strategy: Strategy) -> pl.Expr:
    dpd = pl.col("dpd")
    return pl.coalesce(
        [
            pl.when(dpd >= bucket.min_dpd).then(pl.lit(bucket.code))
            for bucket in reversed(strategy.buckets.ranges)
        ]
    ).cast(pl.String())


def _condition_expr(when: Conditions) -> pl.Expr:
    expr = pl.lit(True)
    for name, values in when.codes:
        column = pl.col(CODE_CONDITIONS[name]).cast(pl.String())
        expr = expr & column.is_in(list(values)).fill_null(False)
    for name, bounds in when.ranges:
        column = pl.col(RANGE_CONDITIONS[name])
        if bounds.min is not None:
            expr = expr & (column >= bounds.min).fill_null(False)
        if bounds.max is not None:
            expr = expr & (column <= bounds.max).fill_null(False)
    return expr


def assign_segments(accounts: pl.DataFrame, strategy: Strategy) -> pl.DataFrame:
    """``accounts`` plus ``segment`` (first matching segment; null when none matches).

    ``bucket`` is added from ``dpd`` by the strategy's bucket scheme when the frame has none,
    ``balance`` (fen) from principal + interest + penalty + fee. A condition on a column the
    frame lacks (say ``language``) is an error naming the segment and the column.
    """
    frame = accounts
    if "bucket" not in frame.columns:
        frame = frame.with_columns(_bucket_expr(strategy).alias("bucket"))
    added_balance = "balance" not in frame.columns
    if added_balance and all(part in frame.columns for part in _BALANCE_PARTS):
        frame = frame.with_columns(pl.sum_horizontal(*_BALANCE_PARTS).alias("balance"))
    for segment in strategy.segments:
        missing = sorted(segment.when.columns() - set(frame.columns))
        if missing:
            raise ValueError(
                f"segment {segment.code}: the accounts frame has no column(s) {', '.join(missing)}"
            )
    labels = [
        pl.when(_condition_expr(segment.when)).then(pl.lit(segment.code))
        for segment in strategy.segments
    ]
    result = pl.coalesce(labels) if labels else pl.lit(None)
    frame = frame.with_columns(result.cast(pl.String()).alias("segment"))
    return frame.drop("balance") if added_balance and "balance" in frame.columns else frame


@dataclass(frozen=True, slots=True)
class DryRun:
    """Where every account falls: counts and balance per segment, and the unmatched ids."""

    segments: pl.DataFrame  # segment, accounts, balance (fen); null segment = unmatched
    unmatched: tuple[int, ...]


def dry_run(accounts: pl.DataFrame, strategy: Strategy) -> DryRun:
    assigned = assign_segments(accounts, strategy)
    order = {segment.code: position for position, segment in enumerate(strategy.segments)}
    balance = (
        pl.sum_horizontal(*_BALANCE_PARTS)
        if all(part in assigned.columns for part in _BALANCE_PARTS)
        else pl.lit(0, dtype=pl.Int64())
    )
    summary = (
        assigned.group_by("segment")
        .agg(pl.len().alias("accounts"), balance.sum().alias("balance"))
        .with_columns(
            pl.col("segment")
            .replace_strict(order, default=len(order), return_dtype=pl.Int32())
            .alias("_order")
        )
        .sort("_order")
        .drop("_order")
    )
    unmatched = assigned.filter(pl.col("segment").is_null()).get_column("account_id").to_list()
    return DryRun(summary, tuple(unmatched))


def _due_day() -> pl.Expr:
    """Day number of the oldest instalment not fully paid (a current account's next due date);
    null once a loan's every instalment is paid. Same month arithmetic as ``add_months``."""
    month, anchor = month_and_day(pl.col("first_due"))
    cycle = pl.col("paid_to_schedule") // pl.col("instalment")
    past_term = pl.col("cycles").is_not_null() & (cycle >= pl.col("cycles"))
    due = due_day_number(month, anchor, pl.min_horizontal(cycle, _MAX_CYCLE))
    return pl.when(past_term).then(None).otherwise(due)


def _trigger(step: Step, today: int) -> tuple[pl.Expr, pl.Expr]:
    """Whether the step fires today, and the reason written on the action."""
    dpd = pl.col("dpd")
    if step.due_offset is not None:
        fires = (pl.lit(today) - pl.col("_due_day")) == step.due_offset
        offset = step.due_offset
        reason = "due" if offset == 0 else f"due{offset:+d}"
        return fires.fill_null(False), pl.lit(reason)
    assert step.dpd is not None
    if step.every is None or step.until_dpd is None:
        fires = dpd == step.dpd
    else:
        fires = (dpd >= step.dpd) & (dpd <= step.until_dpd) & ((dpd - step.dpd) % step.every == 0)
    return fires.fill_null(False), pl.format("dpd={}", dpd)


def _exited(step: Step, columns: list[str]) -> pl.Expr:
    """True where any of the step's exit conditions holds (a missing column never holds)."""
    expr = pl.lit(False)
    for exit_on in sorted(step.exit_on):
        if exit_on.column in columns:
            expr = expr | pl.col(exit_on.column).cast(pl.Boolean()).fill_null(False)
    return expr


def due_actions(accounts: pl.DataFrame, strategy: Strategy, as_of: date) -> pl.DataFrame:
    """Actions due on ``as_of`` for accounts already segmented (:func:`assign_segments`).

    Reads ``account_id``, ``segment``, ``dpd``, ``first_due``, ``instalment``, ``cycles``,
    ``paid_to_schedule``; ``arm`` is drawn by :func:`assign_arms` when absent; ``status``,
    when present, limits actions to open accounts. Exit columns ``paid_since_start``,
    ``promise_kept`` and ``in_plan`` (Boolean) stop the steps that name them; a missing one
    never stops anything. Hold-out accounts get no actions. Sorted by priority, account, step.
    """
    frame = accounts.filter(pl.col("segment").is_not_null())
    if "status" in frame.columns:
        frame = frame.filter(pl.col("status").cast(pl.String()) == "open")
    if "arm" not in frame.columns:
        arms = assign_arms(frame.get_column("account_id"), strategy).select("account_id", "arm")
        frame = frame.join(arms, on="account_id", how="left")
    treatment = pl.lit(None, dtype=pl.String())
    for arm in reversed(strategy.arms):
        if arm.holdout:
            continue
        mapping = {s.code: arm.treatments.get(s.code, s.treatment) for s in strategy.segments}
        treatment = (
            pl.when(pl.col("arm") == arm.code)
            .then(pl.col("segment").replace_strict(mapping, default=None, return_dtype=pl.String()))
            .otherwise(treatment)
        )
    frame = frame.with_columns(treatment.alias("treatment")).filter(
        pl.col("treatment").is_not_null()
    )
    frame = frame.with_columns(_due_day().alias("_due_day"))
    today = day_number(as_of)
    columns = frame.columns
    parts: list[pl.DataFrame] = []
    for treatment_code, plan in strategy.treatments.items():
        rows = frame.filter(pl.col("treatment") == treatment_code)
        if rows.is_empty():
            continue
        for number, step in enumerate(plan.steps, start=1):
            fires, reason = _trigger(step, today)
            chosen = rows.filter(fires & ~_exited(step, columns))
            if chosen.is_empty():
                continue
            parts.append(
                chosen.select(
                    pl.lit(strategy.code).alias("strategy_code"),
                    pl.lit(strategy.version).alias("strategy_version"),
                    pl.lit(as_of).alias("as_of"),
                    "account_id",
                    "segment",
                    "treatment",
                    "arm",
                    pl.lit(number).alias("step"),
                    pl.lit(step.channel.value).alias("channel"),
                    pl.lit(step.template).alias("template"),
                    pl.lit(step.priority).alias("priority"),
                    reason.alias("reason"),
                ).cast(ACTION_SCHEMA)  # type: ignore[arg-type]
            )
    if not parts:
        return pl.DataFrame(schema=ACTION_SCHEMA)
    return pl.concat(parts).sort("priority", "account_id", "step")


__all__ = [
    "ACTION_SCHEMA",
    "DryRun",
    "ExitOn",
    "arm_of",
    "arm_slot",
    "assign_arms",
    "assign_segments",
    "dry_run",
    "due_actions",
]
