"""The daily cycle's records: one row per business day it ran (its stage figures, so a re-run
changes nothing) and one row per strategy action it decided."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class DayCycle(Base):
    __tablename__ = "day_cycles"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(80))
    summary: Mapped[dict[str, object]] = mapped_column(JSON)


class StrategyAction(Base):
    """Every action the strategy chose for a day, with what became of it.

    The arm is kept on each row so reports can compare champion and challenger over the same
    days; ``status`` says whether it went out (``staged``), waits for the guard's next allowed
    time (``deferred``, retried on ``retry_on``), was stopped (``blocked``, with the rule ids) or
    could not be made (``no_contact_point``, ``no_template``). Call tasks and legal referrals are
    ``queued``.
    """

    __tablename__ = "strategy_actions"
    __table_args__ = (
        UniqueConstraint("action_key", name="uq_strategy_actions_action_key"),
        Index("ix_strategy_actions_as_of", "as_of"),
        Index("ix_strategy_actions_retry_on", "retry_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action_key: Mapped[str] = mapped_column(String(160))
    as_of: Mapped[date] = mapped_column(Date)
    strategy_code: Mapped[str] = mapped_column(String(40))
    strategy_version: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    segment: Mapped[str] = mapped_column(String(40))
    treatment: Mapped[str] = mapped_column(String(40))
    arm: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(64))
    template_version: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    retry_on: Mapped[date | None] = mapped_column(Date)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
