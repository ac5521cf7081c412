"""Tables for debtors, accounts, pauses and bucket history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class Debtor(Base):
    """A person who owes one creditor. Name and ID number are encrypted at rest (AES-GCM, see
    :mod:`huikuan.security.crypto`); the ID number is found by its keyed hash and shown masked."""

    __tablename__ = "debtors"
    __table_args__ = (
        UniqueConstraint("creditor_id", "debtor_no"),
        Index("ix_debtors_id_number_hash", "id_number_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("creditors.id"))
    debtor_no: Mapped[str] = mapped_column(String(40))
    name_enc: Mapped[str | None] = mapped_column(Text)
    name_masked: Mapped[str | None] = mapped_column(String(40))
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    id_number_masked: Mapped[str | None] = mapped_column(String(24))
    region: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    timezone: Mapped[str | None] = mapped_column(String(40))
    anonymised_on: Mapped[date | None] = mapped_column(Date)


class ContactPoint(Base):
    """A phone, email, address or IM id, with whose it is and its lawful data source."""

    __tablename__ = "contact_points"
    __table_args__ = (Index("ix_contact_points_value_hash", "value_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner_type: Mapped[str] = mapped_column(String(24))
    owner_name_enc: Mapped[str | None] = mapped_column(Text)
    relationship: Mapped[str | None] = mapped_column(String(24))
    value_enc: Mapped[str] = mapped_column(Text)
    value_hash: Mapped[str] = mapped_column(String(64))
    value_masked: Mapped[str] = mapped_column(String(64))
    data_source: Mapped[str] = mapped_column(String(32))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="unverified")
    created_on: Mapped[date] = mapped_column(Date)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("creditor_id", "account_no"),
        Index("ix_accounts_debtor", "debtor_id"),
        Index("ix_accounts_bucket", "bucket"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_no: Mapped[str] = mapped_column(String(40))
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    product_code: Mapped[str] = mapped_column(String(32))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
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
