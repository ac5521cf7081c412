"""Field visits (外访): the plan with the guard's verdict, the collectors, check-in and outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class FieldVisit(Base):
    __tablename__ = "field_visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # planned (the guard allowed it), blocked, deferred, checked_in, done
    status: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(12))
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    next_allowed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("contact_attempts.id"))
    planned_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Where the collectors were: personal data (often the debtor's home), so encrypted at rest
    # and shown masked.
    location_enc: Mapped[str | None] = mapped_column(Text)
    location_masked: Mapped[str | None] = mapped_column(String(64))
    coordinates_enc: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))
    notes: Mapped[str | None] = mapped_column(Text)
    # Banned-phrase warnings found in the notes (blocking hits refuse the notes outright).
    note_warnings: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FieldVisitCollector(Base):
    """Who goes on a visit (at least two, by the CN rules the guard applies)."""

    __tablename__ = "field_visit_collectors"

    visit_id: Mapped[int] = mapped_column(ForeignKey("field_visits.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
