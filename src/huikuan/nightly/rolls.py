"""Roll (迁徙), cure and 降期 between two dates, and each debtor's worst DPD, vectorised.

Bucket history holds one row per change (and one ``enter`` row when an account arrives), so an
account's bucket on any date is its last history row on or before that date. Comparing two
dates gives each account's :class:`~huikuan.core.delinquency.Movement` (the scalar rule, applied
to bucket severity under the account's product scheme) and a migration matrix of counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from huikuan.core.delinquency import Movement
from huikuan.core.policy import ProductPolicy
from huikuan.nightly.frames import as_date


def buckets_on(history: pl.DataFrame, day: date) -> pl.DataFrame:
    """``account_id, bucket`` as of the end of ``day`` (accounts not yet placed are absent)."""
    return (
        history.filter(pl.col("business_date") <= as_date(day))
        .sort("account_id", "business_date", maintain_order=True)
        .group_by("account_id", maintain_order=True)
        .agg(pl.col("to_bucket").last().alias("bucket"))
    )


def _severity(products: pl.DataFrame, policies: Sequence[ProductPolicy]) -> pl.DataFrame:
    rows = [
        {"product_code": policy.code, "bucket": code, "severity": index}
        for policy in policies
        for index, code in enumerate(policy.bucket_scheme.codes)
    ]
    table = pl.DataFrame(
        rows, schema={"product_code": pl.String, "bucket": pl.String, "severity": pl.Int64}
    )
    return products.select("account_id", "product_code").join(table, on="product_code")


def movements_between(
    history: pl.DataFrame,
    products: pl.DataFrame,
    policies: Sequence[ProductPolicy],
    start: date,
    end: date,
) -> pl.DataFrame:
    """Each account's move from ``start`` to ``end``: ``from_bucket``, ``to_bucket``, ``movement``.

    ``products`` maps ``account_id`` to ``product_code`` (whose scheme orders the buckets).
    An account first seen after ``start`` has no ``from_bucket`` and moves ``enter`` (or
    ``new_current``), as :func:`huikuan.core.delinquency.movement` says.
    """
    severity = _severity(products, policies)
    before = buckets_on(history, start).join(severity, on=["account_id", "bucket"], how="left")
    after = buckets_on(history, end).join(severity, on=["account_id", "bucket"], how="left")
    joined = after.join(before, on="account_id", how="left", suffix="_before")
    s_before, s_after = pl.col("severity_before"), pl.col("severity")
    move = (
        pl.when(s_before.is_null() & (s_after > 0))
        .then(pl.lit(Movement.ENTER.value))
        .when(s_before.is_null())
        .then(pl.lit(Movement.NEW_CURRENT.value))
        .when(s_after == s_before)
        .then(pl.lit(Movement.STAY.value))
        .when(s_after > s_before)
        .then(pl.lit(Movement.ROLL_FORWARD.value))
        .when(s_after == 0)
        .then(pl.lit(Movement.CURE.value))
        .otherwise(pl.lit(Movement.ROLL_BACK.value))
    )
    return joined.select(
        "account_id",
        pl.col("bucket_before").alias("from_bucket"),
        pl.col("bucket").alias("to_bucket"),
        move.alias("movement"),
    ).sort("account_id")


def migration_matrix(movements: pl.DataFrame) -> pl.DataFrame:
    """Counts of accounts by ``from_bucket`` × ``to_bucket`` (long form, one row per pair)."""
    return (
        movements.group_by("from_bucket", "to_bucket")
        .len("accounts")
        .sort("from_bucket", "to_bucket", nulls_last=True)
    )


def worst_dpd_by_debtor(accounts: pl.DataFrame) -> pl.DataFrame:
    """A debtor's DPD is the worst of their open accounts' (twin of ``core.worst_dpd``)."""
    return (
        accounts.filter(pl.col("status") == "open")
        .group_by("debtor_id")
        .agg(pl.col("dpd").max().alias("worst_dpd"), pl.len().alias("accounts"))
        .sort("debtor_id")
    )
