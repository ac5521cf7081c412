"""The regulator-style overdue report: open accounts and their balances by product and bucket.

Data flow: one SELECT over the balance snapshot of ``as_of`` (:mod:`huikuan.kpis.snapshots`:
accounts open at that day's close, optionally one creditor) where one exists, else over
``accounts`` (open now, placed on or before ``as_of``) → a polars frame → grouped by
``product_code`` × ``bucket`` → every product gets every bucket of the default scheme (M0 …
M7+, zeros included, so the regulator's grid has no holes; a bucket code from another scheme is
appended after them) plus a ``合计`` subtotal row, and the report ends with a grand total row
→ :func:`write_csv` / :func:`write_xlsx` with zh/en headers.

Without a snapshot, balances are the accounts' state as stored (the nightly cycle keeps them
current), so ``as_of`` only excludes accounts placed after it: a report for a past date then
shows today's balances and statuses of the accounts placed by then. :func:`overdue_basis` tells
which of the two a report used, and its ``note`` says so in the output (the CLI's table, the
XLSX's notes sheet, the monthly PDF).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.core.policy import DEFAULT_BUCKETS
from huikuan.kpis.models import BalanceSnapshot, BalanceSnapshotDay

ALL = "合计"
"""The product / bucket label of subtotal and grand-total rows."""

AMOUNTS = ("principal", "interest", "penalty", "fee", "total")

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("product_code", "产品", "Product"),
    ("bucket", "账龄", "Bucket"),
    ("accounts", "户数", "Accounts"),
    ("principal", "本金(分)", "Principal (fen)"),
    ("interest", "利息(分)", "Interest (fen)"),
    ("penalty", "罚息(分)", "Penalty (fen)"),
    ("fee", "费用(分)", "Fees (fen)"),
    ("total", "合计(分)", "Total (fen)"),
)

SCHEMA: dict[str, pl.DataType] = {
    "product_code": pl.String(),
    "bucket": pl.String(),
    "accounts": pl.Int64(),
    **{name: pl.Int64() for name in AMOUNTS},
}


def headers() -> list[str]:
    """Column titles as ``中文 English``, the same in every export."""
    return [f"{zh} {en}" for _, zh, en in COLUMNS]


@dataclass(frozen=True, slots=True)
class ReportBasis:
    """Whether a report's balances are that day's (a snapshot) or today's."""

    as_of: date
    snapshot: bool

    @property
    def note(self) -> str:
        day = self.as_of.isoformat()
        if self.snapshot:
            return f"余额取自 {day} 日终余额快照。Balances from the balance snapshot of {day}."
        return (
            f"{day} 无余额快照：按账户当前余额与状态计算（近似），仅含当日前入催的账户。"
            f"Approximate: no balance snapshot of {day}; today's balances and statuses of the "
            "accounts placed by then."
        )


def overdue_basis(session: Session, as_of: date) -> ReportBasis:
    return ReportBasis(as_of, session.get(BalanceSnapshotDay, as_of) is not None)


def _open_accounts(session: Session, as_of: date, creditor_id: int | None) -> pl.DataFrame:
    if overdue_basis(session, as_of).snapshot:
        snap = BalanceSnapshot
        query = select(
            snap.product_code,
            snap.bucket,
            snap.principal,
            snap.interest,
            snap.penalty,
            snap.fee,
        ).where(snap.business_date == as_of, snap.status == "open")
        if creditor_id is not None:
            query = query.where(snap.creditor_id == creditor_id)
    else:
        query = select(
            Account.product_code,
            Account.bucket,
            Account.principal,
            Account.interest,
            Account.penalty,
            Account.fee,
        ).where(Account.status == "open", Account.placed_on <= as_of)
        if creditor_id is not None:
            query = query.where(Account.creditor_id == creditor_id)
    schema = {
        "product_code": pl.String(),
        "bucket": pl.String(),
        **{name: pl.Int64() for name in AMOUNTS if name != "total"},
    }
    rows = [tuple(row) for row in session.execute(query)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def _bucket_order(seen: list[str]) -> list[str]:
    known = list(DEFAULT_BUCKETS.codes)
    return known + sorted(code for code in seen if code not in known)


def overdue_report(session: Session, as_of: date, creditor_id: int | None = None) -> pl.DataFrame:
    """Counts and balances (fen) by product and bucket, with subtotals and a grand total, from
    the snapshot of ``as_of`` where there is one (:func:`overdue_basis`).

    Columns: ``product_code, bucket, accounts, principal, interest, penalty, fee, total``.
    Rows: per product (sorted by code) one row per bucket in severity order, then the product's
    ``合计`` row; last, the grand total (``product_code`` and ``bucket`` both ``合计``).
    """
    accounts = _open_accounts(session, as_of, creditor_id).with_columns(
        (pl.col("principal") + pl.col("interest") + pl.col("penalty") + pl.col("fee")).alias(
            "total"
        )
    )
    sums = [pl.col(name).sum().cast(pl.Int64) for name in AMOUNTS]
    grouped = accounts.group_by("product_code", "bucket").agg(
        pl.len().cast(pl.Int64).alias("accounts"), *sums
    )
    buckets = _bucket_order(grouped["bucket"].unique().to_list())
    products = sorted(grouped["product_code"].unique().to_list())
    grid = pl.DataFrame(
        [(product, bucket) for product in products for bucket in buckets],
        schema={"product_code": pl.String(), "bucket": pl.String()},
        orient="row",
    )
    cells = grid.join(grouped, on=["product_code", "bucket"], how="left").fill_null(0)
    rank = {bucket: position for position, bucket in enumerate(buckets)}
    parts: list[pl.DataFrame] = []
    for product in products:
        rows = cells.filter(pl.col("product_code") == product).sort(
            pl.col("bucket").replace_strict(rank, return_dtype=pl.Int64)
        )
        subtotal = rows.select(
            pl.lit(product).alias("product_code"),
            pl.lit(ALL).alias("bucket"),
            pl.col("accounts").sum(),
            *(pl.col(name).sum() for name in AMOUNTS),
        )
        parts.extend([rows, subtotal])
    grand = accounts.select(
        pl.lit(ALL).alias("product_code"),
        pl.lit(ALL).alias("bucket"),
        pl.len().cast(pl.Int64).alias("accounts"),
        *(pl.col(name).sum().cast(pl.Int64) for name in AMOUNTS),
    )
    parts.append(grand)
    return pl.concat([part.select(list(SCHEMA)).cast(pl.Schema(SCHEMA)) for part in parts])


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    """The report as UTF-8 CSV with a BOM (so Excel reads the Chinese), zh/en header row."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers())
        writer.writerows(frame.iter_rows())
    return path


def write_xlsx(
    frame: pl.DataFrame, path: Path, *, sheet: str = "逾期报表", note: str | None = None
) -> Path:
    """The report as one XLSX sheet, zh/en header row, amounts as integers (fen); ``note`` (the
    basis, say) goes on a second sheet, 说明 Notes, so the table stays machine-readable."""
    workbook = xlsxwriter.Workbook(str(path))
    try:
        worksheet = workbook.add_worksheet(sheet)
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, headers(), bold)
        for index, row in enumerate(frame.iter_rows(), start=1):
            worksheet.write_row(index, 0, list(row), bold if row[1] == ALL else None)
        worksheet.set_column(0, 1, 14)
        worksheet.set_column(2, len(COLUMNS) - 1, 18)
        if note is not None:
            notes = workbook.add_worksheet("说明 Notes")
            notes.write(0, 0, note)
    finally:
        workbook.close()
    return path
