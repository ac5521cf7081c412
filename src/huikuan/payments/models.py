"""The payments table: one row per receipt, unique by its reference so nothing posts twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_unposted", "posted_on", "received_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(24), default="creditor_file")
    posted_on: Mapped[date | None] = mapped_column(Date)
