"""Tables for debtors, accounts, pauses and bucket history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class Debtor(Base):
    """A person who owes. Personal data (name, ID number, phones) arrives with the case store,
    encrypted at rest; until then a debtor is a number."""

    __tablename__ = "debtors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debtor_no: Mapped[str] = mapped_column(String(40), unique=True)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_debtor", "debtor_id"),
        Index("ix_accounts_bucket", "bucket"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_no: Mapped[str] = mapped_column(String(40), unique=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(32))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(16))
    principal: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    penalty: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    credit: Mapped[int] = mapped_column(BigInteger)
    first_due: Mapped[date] = mapped_column(Date)
    instalment: Mapped[int] = mapped_column(BigInteger)
    cycles: Mapped[int | None]
    paid_to_schedule: Mapped[int] = mapped_column(BigInteger)
    accrued_through: Mapped[date] = mapped_column(Date)
    charge_start: Mapped[date] = mapped_column(Date)
    cap_base: Mapped[int] = mapped_column(BigInteger)
    charged_total: Mapped[int] = mapped_column(BigInteger)
    dpd: Mapped[int]
    bucket: Mapped[str] = mapped_column(String(16))
    placed_on: Mapped[date] = mapped_column(Date)


class AccountPause(Base):
    """The DPD clock stops from ``start`` up to, not including, ``end`` (null: still paused)."""

    __tablename__ = "account_pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))


class BucketHistory(Base):
    """Every bucket change, kept forever."""

    __tablename__ = "bucket_history"
    __table_args__ = (Index("ix_bucket_history_date", "business_date"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    business_date: Mapped[date] = mapped_column(Date)
    from_bucket: Mapped[str | None] = mapped_column(String(16))
    to_bucket: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int]
    movement: Mapped[str] = mapped_column(String(16))
