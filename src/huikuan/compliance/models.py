"""Contact attempts with the guard's decision stored beside each one (the audit trail QA reads)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class ContactAttempt(Base):
    """One proposed or made contact: who, when, channel, to whom, result, and why it was allowed.

    Blocked and deferred proposals are kept too (``executed`` false), so the record shows what
    the guard stopped as well as what it let through.
    """

    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_debtor_at", "debtor_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(12), default="outbound")
    party: Mapped[str] = mapped_column(String(64), default="consumer")
    caller: Mapped[str] = mapped_column(String(40), default="lender")
    call_type: Mapped[str | None] = mapped_column(String(24))
    purpose: Mapped[str | None] = mapped_column(String(48))
    outcome: Mapped[str | None] = mapped_column(String(48))
    # The agent's disposition code of a logged call (RPC, no answer, promise, dispute …:
    # :mod:`huikuan.calls.dispositions`); None for everything else.
    disposition: Mapped[str | None] = mapped_column(String(24))
    content: Mapped[str | None] = mapped_column(Text)
    executed: Mapped[bool]
    decision: Mapped[str] = mapped_column(String(12))
    next_allowed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(64))


class ContactOverride(Base):
    """A supervisor's override of a presumed violation (US 7-in-7 style), with reason code."""

    __tablename__ = "contact_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("contact_attempts.id"), unique=True)
    reason_code: Mapped[str] = mapped_column(String(40))
    approver: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class DebtorEvent(Base):
    """Consents, designations and notices about a debtor, kept in the guard's event format.

    Consent to be called at a time or more often, an opt-out from a medium or address ("stop"),
    inconvenient times and places, a cease request, a written dispute, attorney representation,
    the outsourcing notice …: each is one event of ``shared/compliance-check-request.md``, stored
    as given (checked by the request parser first) and fed back to the guard on every contact.
    """

    __tablename__ = "debtor_events"
    __table_args__ = (Index("ix_debtor_events_debtor_at", "debtor_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(32))
    event: Mapped[dict[str, object]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(64))
