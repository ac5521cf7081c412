"""Tables of QA (质检): score sheets of contacts, complaints (投诉) and disputes (争议)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class QaReview(Base):
    """One reviewer's score sheet of one contact attempt (at most one sheet per attempt).

    ``scores`` maps each criterion code of :mod:`huikuan.quality.scorecard` to its rating;
    ``total`` is the sheet's 0–100 result, computed once when saved. ``agent_id`` is the user
    who made the contact, resolved when the sheet is saved, so the commission run can average
    an agent's sheets without joining on usernames.
    """

    __tablename__ = "qa_reviews"
    __table_args__ = (Index("ix_qa_reviews_agent_contact_at", "agent_id", "contact_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("contact_attempts.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewer: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scorecard_version: Mapped[str] = mapped_column(String(16))
    scores: Mapped[dict[str, str]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")


class Complaint(Base):
    """投诉: a complaint about a case, its deadlines (:mod:`huikuan.quality.sla`) and outcome.

    ``hold_id`` is the ``complaint`` hold the complaint started or joined (complaints about the
    collectors' conduct only); it is lifted when the last open complaint sharing it is resolved.
    """

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledge_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(64))
    opened_by: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_reason: Mapped[str | None] = mapped_column(String(24))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))


class Dispute(Base):
    """争议: the debtor contests the debt; collection stops (a ``dispute`` hold) until decided.

    An upheld dispute records the outcome only: the balance adjustment it calls for is requested
    separately (not automated here).
    """

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_status_opened_at", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"))
