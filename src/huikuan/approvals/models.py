"""The approvals register: every maker–checker decision on a proposed plan, kept forever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class ApprovalDecision(Base):
    """One decision on a :class:`~huikuan.cases.models.Plan`: approved, rejected or escalated.

    ``limit_code`` names the limit table row applied (``APPROVAL-LIMITS@1:team_lead``) and
    ``figures`` the numbers it was applied to (months, waived, balance, share in ppm), so a
    later reader sees why the decision was within (or beyond) the approver's authority.
    """

    __tablename__ = "approval_decisions"
    __table_args__ = (Index("ix_approval_decisions_plan", "plan_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # approved, rejected, escalated
    decided_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="")
    limit_code: Mapped[str | None] = mapped_column(String(64))
    figures: Mapped[dict[str, object]] = mapped_column(JSON)
    # Escalations: the role whose queue it goes to (null: beyond every limit in the system).
    escalated_to: Mapped[str | None] = mapped_column(String(32))
