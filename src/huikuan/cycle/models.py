"""One row per business day the cycle ran: its stage figures, so a re-run changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base


class DayCycle(Base):
    __tablename__ = "day_cycles"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(80))
    summary: Mapped[dict[str, object]] = mapped_column(JSON)
