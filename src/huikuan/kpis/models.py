"""KPI tables: the post-contact satisfaction survey, and the balance snapshots (余额快照).

The post-contact satisfaction survey (满意度回访): one row per survey, from contact to answer.

A row is born ``due`` when a contact reached the debtor (an agent's right-party call or visit,
or the debtor's own action on the self-service page), is sent by the next run-day through the
compliance guard and the outbox (``sent``: the link token's hash and the SMS's contact attempt
are kept), and takes one score 1–5 (``answered``), by SMS reply or by the page link. See
:mod:`huikuan.kpis.survey` for the flow and the rules (one survey per debtor per 30 days).

A balance snapshot (:mod:`huikuan.kpis.snapshots`) is every placed account's state at the close
of one business day, written once per date (the daily cycle at each month end, or
``huikuan kpi snapshot``): ``balance_snapshot_days`` says a date is complete (one row, written
in the same transaction as the date's ``balance_snapshots`` rows), and the rows never change.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class SurveyStatus(StrEnum):
    DUE = "due"  # a contact reached the debtor; the next run-day sends the survey
    SENT = "sent"  # staged in the outbox; open for one answer
    ANSWERED = "answered"  # the score is kept; later answers are ignored
    BLOCKED = "blocked"  # the guard refused the SMS (rule ids kept); never sent
    NO_CONTACT_POINT = "no_contact_point"  # the debtor has no valid mobile of their own
    EXPIRED = "expired"  # not sent, or not answered, in time


class SurveySource(StrEnum):
    CALL = "call"  # an agent's right-party contact (phone or visit)
    DEBTOR_PAGE = "debtor_page"  # the debtor acted on the self-service page


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        # One survey per contact: a re-run of the day's stage finds the contact taken.
        UniqueConstraint("contact_attempt_id", name="uq_surveys_contact_attempt_id"),
        UniqueConstraint("token_hash", name="uq_surveys_token_hash"),
        Index("ix_surveys_debtor_status", "debtor_id", "status"),
        Index("ix_surveys_status_point", "status", "contact_point_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    # The agent of the surveyed contact (the KPI's agent slice); none for a page action.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(16))
    contact_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    contact_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default=SurveyStatus.DUE.value)
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    sent_on: Mapped[date | None] = mapped_column(Date)  # the run-day that sent it
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    # SHA-256 of the link token: the token itself is only in the SMS.
    token_hash: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_channel: Mapped[str | None] = mapped_column(String(8))  # sms or page
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BalanceSnapshotDay(Base):
    """One complete snapshot: its business date and totals. Present means every row is there."""

    __tablename__ = "balance_snapshot_days"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    accounts: Mapped[int] = mapped_column(Integer)
    open_accounts: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)  # owed by all accounts in it (fen)
    source: Mapped[str] = mapped_column(String(16))  # "cycle" (month end) or "cli"
    seconds: Mapped[float] = mapped_column(Float)


class BalanceSnapshot(Base):
    """One account at the close of one business day (money in fen).

    No foreign keys: a snapshot is a record of what was, written a million rows at a time by
    COPY, and must not stop an account or a case being anonymised or re-keyed later (per-row
    key checks would also roughly double the write).
    """

    __tablename__ = "balance_snapshots"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(BigInteger)
    product_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    principal: Mapped[int] = mapped_column(BigInteger)
    interest: Mapped[int] = mapped_column(BigInteger)
    penalty: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    dpd: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    # The holder of the case on that day, from the 分案 history (huikuan.kpis.engine.holders_on).
    agent_id: Mapped[int | None] = mapped_column(BigInteger)
    team_id: Mapped[int | None] = mapped_column(BigInteger)
    agency_id: Mapped[int | None] = mapped_column(BigInteger)
