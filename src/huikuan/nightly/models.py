"""One row per closed business day: the nightly run's totals, and proof the day is done."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Float
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base


class NightlyRun(Base):
    __tablename__ = "nightly_runs"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    accounts: Mapped[int]
    open_accounts: Mapped[int]
    received: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    penalty: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    bucket_changes: Mapped[int]
    seconds: Mapped[float] = mapped_column(Float)
