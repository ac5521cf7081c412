"""Column layouts of the nightly run's frames, and conversion to and from core values.

Money columns are Int64 minor units, dates are Polars ``Date``. The accounts frame carries
exactly the fields of :class:`huikuan.core.accrual.AccountState`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import polars as pl

from huikuan.core.accrual import AccountState, AccountStatus
from huikuan.core.balances import Balance
from huikuan.core.delinquency import DueSchedule, Pause
from huikuan.core.policy import BucketScheme, ProductPolicy

STATUS = pl.Enum([status.value for status in AccountStatus])

ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "product_code": pl.String(),
    "status": STATUS,
    "principal": pl.Int64(),
    "interest": pl.Int64(),
    "penalty": pl.Int64(),
    "fee": pl.Int64(),
    "first_due": pl.Date(),
    "instalment": pl.Int64(),
    "cycles": pl.Int32(),
    "paid_to_schedule": pl.Int64(),
    "accrued_through": pl.Date(),
    "charge_start": pl.Date(),
    "cap_base": pl.Int64(),
    "charged_total": pl.Int64(),
    "credit": pl.Int64(),
    "dpd": pl.Int32(),
}

PAUSE_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "start": pl.Date(),
    "end": pl.Date(),
}

PAYMENT_SCHEMA: dict[str, pl.DataType] = {"account_id": pl.Int64(), "amount": pl.Int64()}


def accounts_frame(states: Iterable[AccountState]) -> pl.DataFrame:
    rows = [
        {
            "account_id": s.account_id,
            "product_code": s.product_code,
            "status": s.status.value,
            "principal": s.balance.principal,
            "interest": s.balance.interest,
            "penalty": s.balance.penalty,
            "fee": s.balance.fee,
            "first_due": s.schedule.first_due,
            "instalment": s.schedule.instalment,
            "cycles": s.schedule.cycles,
            "paid_to_schedule": s.paid_to_schedule,
            "accrued_through": s.accrued_through,
            "charge_start": s.charge_start,
            "cap_base": s.cap_base,
            "charged_total": s.charged_total,
            "credit": s.credit,
            "dpd": s.dpd,
        }
        for s in states
    ]
    return pl.DataFrame(rows, schema=ACCOUNT_SCHEMA)


def account_states(frame: pl.DataFrame) -> list[AccountState]:
    return [
        AccountState(
            account_id=row["account_id"],
            product_code=row["product_code"],
            balance=Balance(row["principal"], row["interest"], row["penalty"], row["fee"]),
            schedule=DueSchedule(row["first_due"], row["instalment"], row["cycles"]),
            paid_to_schedule=row["paid_to_schedule"],
            accrued_through=row["accrued_through"],
            charge_start=row["charge_start"],
            cap_base=row["cap_base"],
            charged_total=row["charged_total"],
            status=AccountStatus(row["status"]),
            credit=row["credit"],
            dpd=row["dpd"],
        )
        for row in frame.select(list(ACCOUNT_SCHEMA)).iter_rows(named=True)
    ]


def pauses_frame(pauses: Mapping[int, Sequence[Pause]]) -> pl.DataFrame:
    rows = [
        {"account_id": account_id, "start": pause.start, "end": pause.end}
        for account_id, account_pauses in pauses.items()
        for pause in account_pauses
    ]
    return pl.DataFrame(rows, schema=PAUSE_SCHEMA)


def payments_frame(payments: Mapping[int, int] | Iterable[tuple[int, int]]) -> pl.DataFrame:
    items = payments.items() if isinstance(payments, Mapping) else payments
    rows = [{"account_id": account_id, "amount": amount} for account_id, amount in items]
    return pl.DataFrame(rows, schema=PAYMENT_SCHEMA)


def bucket_schemes(policies: Iterable[ProductPolicy]) -> dict[str, BucketScheme]:
    """The distinct bucket schemes the policies use, by code (one code, one definition)."""
    schemes: dict[str, BucketScheme] = {}
    for policy in policies:
        known = schemes.setdefault(policy.bucket_scheme.code, policy.bucket_scheme)
        if known != policy.bucket_scheme:
            raise ValueError(f"two different bucket schemes share the code {known.code!r}")
    return schemes


def empty_pauses() -> pl.DataFrame:
    return pl.DataFrame(schema=PAUSE_SCHEMA)


def empty_payments() -> pl.DataFrame:
    return pl.DataFrame(schema=PAYMENT_SCHEMA)


def as_date(value: date) -> pl.Expr:
    return pl.lit(value, dtype=pl.Date())
