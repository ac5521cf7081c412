"""Moving the portfolio between the database and the nightly pipeline's frames, in bulk."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, AccountPause, BucketHistory
from huikuan.core.policy import ProductPolicy, policy_from_dict
from huikuan.db.bulk import update_rows
from huikuan.nightly.frames import ACCOUNT_SCHEMA, PAUSE_SCHEMA
from huikuan.org.models import Product

STATE_COLUMNS = [name for name in ACCOUNT_SCHEMA if name != "account_id"]


def load_accounts(session: Session) -> pl.DataFrame:
    """Every account's nightly state, plus ``debtor_id`` and ``bucket``, ordered by id."""
    columns = [Account.id, *(getattr(Account, name) for name in STATE_COLUMNS)]
    rows = session.execute(
        select(*columns, Account.debtor_id, Account.bucket).order_by(Account.id)
    ).all()
    schema = {**ACCOUNT_SCHEMA, "debtor_id": pl.Int64(), "bucket": pl.String()}
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def load_pauses(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(AccountPause.account_id, AccountPause.start, AccountPause.end)
    ).all()
    return pl.DataFrame([tuple(row) for row in rows], schema=PAUSE_SCHEMA, orient="row")


def load_policies(session: Session) -> tuple[ProductPolicy, ...]:
    """Each distinct product policy; one code must always mean one policy."""
    found: dict[str, ProductPolicy] = {}
    for stored in session.scalars(select(Product.policy).order_by(Product.id)):
        policy = policy_from_dict(stored)
        known = found.setdefault(policy.code, policy)
        if known != policy:
            raise ValueError(f"two products use policy code {policy.code!r} with different terms")
    return tuple(found.values())


def save_accounts(session: Session, frame: pl.DataFrame) -> int:
    """Write the nightly state back, one executemany UPDATE by primary key; returns rows."""
    columns = [*STATE_COLUMNS, "bucket"]
    rows = frame.select(pl.col("account_id").alias("key"), *columns).to_dicts()
    return update_rows(session, Account, rows)


def record_bucket_history(session: Session, changes: pl.DataFrame) -> int:
    batch = list(changes.iter_rows(named=True))
    if batch:
        session.execute(insert(BucketHistory), batch)
    return len(batch)


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One line of the portfolio summary: open accounts in a bucket and what they owe."""

    bucket: str
    accounts: int
    principal: int
    interest: int
    penalty: int
    fee: int

    @property
    def balance(self) -> int:
        return self.principal + self.interest + self.penalty + self.fee


def bucket_summary(session: Session) -> list[BucketRow]:
    """Open accounts per bucket, in order of severity (by the smallest DPD seen in each)."""
    rows = session.execute(
        select(
            Account.bucket,
            func.count(),
            func.sum(Account.principal),
            func.sum(Account.interest),
            func.sum(Account.penalty),
            func.sum(Account.fee),
            func.min(Account.dpd),
        )
        .where(Account.status == "open")
        .group_by(Account.bucket)
        .order_by(func.min(Account.dpd), Account.bucket)
    ).all()
    return [BucketRow(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Account.status, func.count()).group_by(Account.status)).all()
    return {str(status): int(count) for status, count in rows}


def load_bucket_history(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(
            BucketHistory.account_id,
            BucketHistory.business_date,
            BucketHistory.from_bucket,
            BucketHistory.to_bucket,
        ).order_by(BucketHistory.id)
    ).all()
    schema = {
        "account_id": pl.Int64(),
        "business_date": pl.Date(),
        "from_bucket": pl.String(),
        "to_bucket": pl.String(),
    }
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def load_products(session: Session) -> pl.DataFrame:
    rows = session.execute(select(Account.id, Account.product_code)).all()
    schema = {"account_id": pl.Int64(), "product_code": pl.String()}
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")
