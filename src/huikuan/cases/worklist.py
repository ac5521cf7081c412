"""The work list (作业清单): each case's balance, DPD, bucket and place in the queue, kept on the
case row so a queue page is one index range scan, whatever the portfolio's size.

Data flow: the daily cycle calls :func:`refresh_worklist` after planning (balances as of the
day's close, the day's promises and call tasks); recording a promise or closing a call task
refreshes that one case. Only rows whose figures changed are written.

The queue order is one integer, :func:`queue_rank` (lower comes first):

1. a promise to pay due today (the agent checks whether it came in);
2. today's open call task, by the strategy's priority (1 most urgent);
3. the worst DPD;
4. the largest balance;

then the case id breaks ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Promise
from huikuan.db.bulk import update_rows

NO_TASK = 9_999  # the priority of a case without a call task today (fits 14 bits)
_DPD_CAP = (1 << 16) - 1
_YUAN_CAP = (1 << 32) - 1
_LOOKUP = 5_000


def queue_rank(ptp_today: bool, task_priority: int | None, dpd: int, balance: int) -> int:
    """The case's place in the queue as one 63-bit integer (module docstring).

    >>> queue_rank(True, None, 0, 0) < queue_rank(False, 1, 900, 10**9)
    True
    >>> queue_rank(False, 20, 5, 100) < queue_rank(False, 40, 400, 100)
    True
    >>> queue_rank(False, None, 91, 100) < queue_rank(False, None, 90, 10**9)
    True
    >>> queue_rank(False, None, 30, 500_00) < queue_rank(False, None, 30, 499_00)
    True
    """
    task = min(max(task_priority if task_priority is not None else NO_TASK, 0), NO_TASK)
    late = _DPD_CAP - min(max(dpd, 0), _DPD_CAP)
    small = _YUAN_CAP - min(max(balance, 0) // 100, _YUAN_CAP)
    return ((((0 if ptp_today else 1) << 14 | task) << 16 | late) << 32) | small


def _rank_expr() -> pl.Expr:
    task = pl.col("task_priority").fill_null(NO_TASK).clip(0, NO_TASK).cast(pl.Int64())
    late = _DPD_CAP - pl.col("dpd").clip(0, _DPD_CAP).cast(pl.Int64())
    small = _YUAN_CAP - (pl.col("balance").clip(0, None) // 100).clip(0, _YUAN_CAP)
    ptp = pl.when(pl.col("ptp_today")).then(0).otherwise(1).cast(pl.Int64())
    return (((ptp * (1 << 14) + task) * (1 << 16) + late) * (1 << 32) + small).alias("rank")


def _in_chunks(column: Any, ids: Sequence[int] | None) -> list[Any]:
    if ids is None:
        return [None]
    return [column.in_(ids[start : start + _LOOKUP]) for start in range(0, len(ids), _LOOKUP)]


def refresh_worklist(session: Session, today: date, case_ids: Sequence[int] | None = None) -> int:
    """Recompute the work list of ``case_ids`` (every case when ``None``); returns how many case
    rows changed."""
    ids = None if case_ids is None else sorted(set(case_ids))
    if ids is not None and not ids:
        return 0
    rows: list[tuple[Any, ...]] = []
    for condition in _in_chunks(Case.id, ids):
        cases = select(Case.id, Case.balance, Case.dpd, Case.bucket, Case.queue_rank)
        rows.extend(session.execute(cases if condition is None else cases.where(condition)))
    current = pl.DataFrame(
        [tuple(row) for row in rows],
        schema={
            "case_id": pl.Int64(),
            "old_balance": pl.Int64(),
            "old_dpd": pl.Int64(),
            "old_bucket": pl.String(),
            "old_rank": pl.Int64(),
        },
        orient="row",
    )
    totals: list[tuple[Any, ...]] = []
    ptp: list[tuple[Any, ...]] = []
    tasks: list[tuple[Any, ...]] = []
    for condition in _in_chunks(Account.case_id, ids):
        sums = (
            select(
                Account.case_id,
                func.sum(Account.principal + Account.interest + Account.penalty + Account.fee),
                func.max(Account.dpd),
                func.max(Account.bucket),
            )
            .where(Account.case_id.is_not(None), Account.status == "open")
            .group_by(Account.case_id)
        )
        totals.extend(session.execute(sums if condition is None else sums.where(condition)))
    for condition in _in_chunks(Promise.case_id, ids):
        due = (
            select(Promise.case_id)
            .where(Promise.promised_on == today, Promise.status == "pending")
            .distinct()
        )
        ptp.extend(session.execute(due if condition is None else due.where(condition)))
    for condition in _in_chunks(CallTask.case_id, ids):
        open_tasks = (
            select(CallTask.case_id, func.min(CallTask.priority))
            .where(CallTask.due_on == today, CallTask.status == "open")
            .group_by(CallTask.case_id)
        )
        tasks.extend(
            session.execute(open_tasks if condition is None else open_tasks.where(condition))
        )
    figures = pl.DataFrame(
        [tuple(row) for row in totals],
        schema={
            "case_id": pl.Int64(),
            "balance": pl.Int64(),
            "dpd": pl.Int64(),
            "bucket": pl.String(),
        },
        orient="row",
    )
    promised = pl.DataFrame(
        [tuple(row) for row in ptp], schema={"case_id": pl.Int64()}, orient="row"
    ).with_columns(pl.lit(True).alias("ptp_today"))
    tasked = pl.DataFrame(
        [tuple(row) for row in tasks],
        schema={"case_id": pl.Int64(), "task_priority": pl.Int64()},
        orient="row",
    )
    frame = (
        current.join(figures, on="case_id", how="left")
        .join(promised, on="case_id", how="left")
        .join(tasked, on="case_id", how="left")
        .with_columns(
            pl.col("balance").fill_null(0),
            pl.col("dpd").fill_null(0),
            pl.col("ptp_today").fill_null(False),
        )
        .with_columns(_rank_expr())
    )
    changed = frame.filter(
        (pl.col("balance") != pl.col("old_balance"))
        | (pl.col("dpd") != pl.col("old_dpd"))
        | pl.col("bucket").ne_missing(pl.col("old_bucket"))
        | pl.col("rank").ne_missing(pl.col("old_rank"))
    )
    updates = [
        {"key": row[0], "balance": row[1], "dpd": row[2], "bucket": row[3], "queue_rank": row[4]}
        for row in changed.select("case_id", "balance", "dpd", "bucket", "rank").iter_rows()
    ]
    return update_rows(session, Case, updates)
