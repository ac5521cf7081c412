"""The payments table (one row per receipt, unique by its reference so nothing posts twice)
and the payment orders of the debtor's self-service "pay now" (see ``docs.md``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String
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


class PaymentOrder(Base):
    """A debtor's "pay now" (支付订单): our ``out_trade_no`` at a provider, until it is paid.

    ``created`` → ``paid`` (the provider confirmed; ``payment_id`` is the first :class:`Payment`
    it produced, one per account it went to) or ``closed`` (the provider closed it unpaid).
    ``account_id`` null: the case's accounts, oldest due first. A bank transfer's order only
    records the reference shown; the creditor's bank file brings the money in.
    """

    __tablename__ = "payment_orders"
    __table_args__ = (Index("ix_payment_orders_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="created")
    provider_trade_no: Mapped[str | None] = mapped_column(String(64))
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
