"""Balance snapshots (余额快照): every placed account's state at the close of one business day.

Data flow: :func:`take_snapshot` (the daily cycle's ``snapshot`` stage at each month end, or
``huikuan kpi snapshot --date D``) → one SELECT of the accounts placed by ``D`` (principal,
interest, penalty, fee, DPD, bucket, status, case) and one of the 分案 history → the holder of
each case on ``D`` (:func:`huikuan.kpis.engine.holders_on`, the commissions' rule) → rows
written with :func:`huikuan.db.bulk.insert_rows` (COPY on PostgreSQL, one executemany per
10,000 rows on SQLite) and a ``balance_snapshot_days`` row with the totals, in the caller's
transaction: a date is there whole or not at all. A second call for a date that has its
snapshot returns the stored totals and writes nothing.

Balances are stored only as they are now, so a snapshot can be taken only of the day the
portfolio stands at: the last closed business day (``nightly_runs``). Any other date is refused
(:class:`SnapshotDateError`); the KPIs and reports then fall back to rebuilt balances and say so.

Readers: :func:`snapshot_days` (which of some dates have one) and :func:`load_snapshots` (the
engine's :data:`~huikuan.kpis.frames.SNAPSHOTS` frame of those dates).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.cases.models import Assignment, Case
from huikuan.db.bulk import insert_rows
from huikuan.kpis import frames as kf
from huikuan.kpis.engine import Holders, holders_on
from huikuan.kpis.models import BalanceSnapshot, BalanceSnapshotDay
from huikuan.nightly.models import NightlyRun

OPEN = "open"


class SnapshotDateError(ValueError):
    """The portfolio does not stand at the close of the date asked for."""


@dataclass(frozen=True, slots=True)
class SnapshotResult:
    business_date: date
    written: bool  # False: the date already had its snapshot; nothing was written
    accounts: int
    open_accounts: int
    total: int  # fen owed by every account in it
    source: str
    seconds: float


def _result(day: BalanceSnapshotDay, written: bool) -> SnapshotResult:
    return SnapshotResult(
        day.business_date,
        written,
        day.accounts,
        day.open_accounts,
        day.total,
        day.source,
        day.seconds,
    )


def portfolio_stands_at(session: Session) -> date | None:
    """The business day whose close the stored balances show: the last closed day, or, before
    any nightly run, the latest day the accounts were accrued through."""
    closed: date | None = session.scalar(select(func.max(NightlyRun.business_date)))
    if closed is not None:
        return closed
    accrued: date | None = session.scalar(select(func.max(Account.accrued_through)))
    return accrued


def load_assignments_frame(session: Session, case_ids: Iterable[int] | None = None) -> pl.DataFrame:
    """The 分案 history as :data:`~huikuan.kpis.frames.ASSIGNMENTS` (of some cases, or all)."""
    query = select(
        Assignment.id,
        Assignment.case_id,
        Assignment.assigned_on,
        Assignment.ended_on,
        Assignment.agent_id,
        Assignment.team_id,
        Assignment.agency_id,
    )
    if case_ids is not None:
        query = query.where(Assignment.case_id.in_(list(case_ids)))
    return kf.frame([tuple(row) for row in session.execute(query)], kf.ASSIGNMENTS)


_ROWS: dict[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "creditor_id": pl.Int64(),
    "product_code": pl.String(),
    "status": pl.String(),
    "principal": pl.Int64(),
    "interest": pl.Int64(),
    "penalty": pl.Int64(),
    "fee": pl.Int64(),
    "dpd": pl.Int64(),
    "bucket": pl.String(),
    "case_id": pl.Int64(),
}
_CASES: dict[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "agent_id": pl.Int64(),
    "team_id": pl.Int64(),
    "agency_id": pl.Int64(),
}


def snapshot_rows(session: Session, business_date: date) -> pl.DataFrame:
    """The snapshot of ``business_date`` as a frame (columns of ``balance_snapshots``)."""
    accounts = pl.DataFrame(
        session.execute(
            select(
                Account.id,
                Account.creditor_id,
                Account.product_code,
                Account.status,
                Account.principal,
                Account.interest,
                Account.penalty,
                Account.fee,
                Account.dpd,
                Account.bucket,
                Account.case_id,
            )
            .where(Account.placed_on <= business_date)
            .order_by(Account.id)
        ).all(),
        schema=_ROWS,
        orient="row",
    )
    cases = pl.DataFrame(
        session.execute(select(Case.id, Case.agent_id, Case.team_id, Case.agency_id)).all(),
        schema=_CASES,
        orient="row",
    )
    held = holders_on(
        accounts.with_columns(pl.lit(business_date, pl.Date()).alias("_on")),
        Holders(load_assignments_frame(session), cases),
        "_on",
    )
    return held.select(
        pl.lit(business_date, pl.Date()).alias("business_date"),
        *(name for name in _ROWS),
        pl.col("agent").alias("agent_id"),
        pl.col("team").alias("team_id"),
        pl.col("agency").alias("agency_id"),
    ).sort("account_id")


def _dicts(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    # Slices keep memory flat at a million rows; insert_rows batches them again.
    for offset in range(0, frame.height, 50_000):
        yield from frame.slice(offset, 50_000).iter_rows(named=True)


def take_snapshot(session: Session, business_date: date, *, source: str) -> SnapshotResult:
    """Write the snapshot of ``business_date`` once (see the module docstring).

    Raises :class:`SnapshotDateError` when the portfolio does not stand at that day's close.
    """
    stored = session.get(BalanceSnapshotDay, business_date)
    if stored is not None:
        return _result(stored, written=False)
    stands_at = portfolio_stands_at(session)
    if stands_at != business_date:
        raise SnapshotDateError(
            f"the accounts stand at the close of {stands_at or 'no day'}, not {business_date}: "
            "balances are kept only as they are now, so a snapshot can only be taken of the "
            "last closed business day"
        )
    started = time.perf_counter()
    rows = snapshot_rows(session, business_date)
    insert_rows(session, BalanceSnapshot, _dicts(rows))
    total = rows.select(pl.sum_horizontal("principal", "interest", "penalty", "fee").sum()).item()
    day = BalanceSnapshotDay(
        business_date=business_date,
        accounts=rows.height,
        open_accounts=rows.filter(pl.col("status") == OPEN).height,
        total=int(total or 0),
        source=source,
        seconds=round(time.perf_counter() - started, 3),
    )
    session.add(day)
    session.flush()
    return _result(day, written=True)


def snapshot_days(session: Session, days: Sequence[date]) -> list[date]:
    """Those of ``days`` that have a complete snapshot, in order."""
    if not days:
        return []
    found = set(
        session.scalars(
            select(BalanceSnapshotDay.business_date).where(
                BalanceSnapshotDay.business_date.in_(list(set(days)))
            )
        )
    )
    return sorted(found)


def load_snapshots(session: Session, days: Sequence[date]) -> pl.DataFrame:
    """The :data:`~huikuan.kpis.frames.SNAPSHOTS` frame of those ``days`` that have one."""
    present = snapshot_days(session, days)
    if not present:
        return kf.empty(kf.SNAPSHOTS)
    owed = (
        BalanceSnapshot.principal
        + BalanceSnapshot.interest
        + BalanceSnapshot.penalty
        + BalanceSnapshot.fee
    )
    rows = session.execute(
        select(BalanceSnapshot.business_date, BalanceSnapshot.account_id, owed).where(
            BalanceSnapshot.business_date.in_(present)
        )
    ).all()
    return kf.frame([tuple(row) for row in rows], kf.SNAPSHOTS)
