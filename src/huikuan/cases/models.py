"""Tables for placements, cases, transitions, assignment history, holds, promises and plans."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class Placement(Base):
    """委案批次: a creditor's batch of cases, in-house or with an agency, for a period."""

    __tablename__ = "placements"
    __table_args__ = (UniqueConstraint("creditor_id", "batch_no"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    batch_no: Mapped[str] = mapped_column(String(64))
    placed_on: Mapped[date] = mapped_column(Date)
    period_days: Mapped[int]
    ends_on: Mapped[date] = mapped_column(Date)
    fee_scheme: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="active")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("placement_id", "debtor_id"),
        Index("ix_cases_agent_state", "agent_id", "state"),
        Index("ix_cases_agency", "agency_id"),
        Index("ix_cases_agent_queue", "agent_id", "queue_rank"),
        Index("ix_cases_team_queue", "team_id", "queue_rank"),
        Index("ix_cases_queue", "queue_rank"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), index=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id"))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    state: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    keep_until: Mapped[date | None] = mapped_column(Date)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # The work list (作业清单), refreshed by the daily cycle and by the actions that change it
    # (:mod:`huikuan.cases.worklist`): balances as of the last close, and the queue order.
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    dpd: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bucket: Mapped[str | None] = mapped_column(String(16))
    queue_rank: Mapped[int | None] = mapped_column(BigInteger)


class CaseTransition(Base):
    """Every life-cycle move, with who, when and why."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class Assignment(Base):
    """分案 history: who held a case, from when to when, and by which rule or person."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_case", "case_id", "assigned_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    rule_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    assigned_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Hold(Base):
    """停催 and other holds: dispute, complaint, deceased, bankruptcy, litigation, cease …"""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64))


class Promise(Base):
    """PTP 承诺还款, judged kept or broken later from payments."""

    __tablename__ = "promises"
    # The work queue puts promises due today first (migration 0016).
    __table_args__ = (Index("ix_promises_due", "promised_on", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    promised_on: Mapped[date] = mapped_column(Date)
    created_on: Mapped[date] = mapped_column(Date)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")


class Plan(Base):
    """分期 / 协商还款: the agreed terms and schedule (computed by the core) as data."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(24))
    terms: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_on: Mapped[date] = mapped_column(Date)
    proposed_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
