"""Tables for money owed to people: commission schemes, agency-fee schedules and statements.

Schemes and schedules are versioned data (the JSON of a :mod:`huikuan.core.commissions`
scheme) with the dates they are in force; statements keep what was issued, line by line, so a
later clawback can reverse exactly the commission that was paid.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class CommissionSchemeRow(Base):
    """An agent commission scheme (提成方案) for a creditor and/or team, or the default (both null).

    The most specific row in force wins: creditor + team, then team, then creditor, then default.
    """

    __tablename__ = "commission_schemes"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("creditors.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    scheme: Mapped[dict[str, object]] = mapped_column(JSON)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class AgencyFeeScheduleRow(Base):
    """An agency-fee schedule (委外佣金费率) by 账龄 band for a creditor and/or agency.

    The most specific row in force on the payment date wins: creditor + agency, then agency,
    then creditor, then default.
    """

    __tablename__ = "agency_fee_schedules"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("creditors.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    schedule: Mapped[dict[str, object]] = mapped_column(JSON)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


class CompensationStatement(Base):
    """A statement for one subject and period: an agent's commission, an agency's fees or a
    creditor's remittance. One row per (kind, subject, period); issuing it again changes nothing.

    ``amount`` is the statement's bottom line in minor units (net commission, fee, or net to
    remit); ``totals`` and ``lines`` hold every figure it was computed from.
    """

    __tablename__ = "compensation_statements"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_id", "period"),
        Index("ix_compensation_statements_period", "period", "subject_kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    subject_code: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    recovered: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    totals: Mapped[dict[str, object]] = mapped_column(JSON)
    lines: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
