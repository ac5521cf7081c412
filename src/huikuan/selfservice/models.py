"""Tables of the debtor's own page (债务人自助): access codes, sessions, requests, attachments.

Nothing here holds a code or a session token in the clear: codes and tokens are stored as
keyed hashes, attachments and the debtor's own words as field-cipher tokens.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class DebtorAccessCode(Base):
    """A one-time code sent to a phone or email on file; dies after use, expiry or 5 tries."""

    __tablename__ = "debtor_access_codes"
    __table_args__ = (Index("ix_debtor_access_codes_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    channel: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DebtorAccessEvent(Base):
    """The rate-limit ledger: every code request and every code tried, by case and by caller.

    Kept in the database (not in a process's memory) so the limits hold across server
    processes and restarts. ``client_hash`` is a keyed hash of the caller's address.
    """

    __tablename__ = "debtor_access_events"
    __table_args__ = (
        Index("ix_debtor_access_events_case_kind_at", "case_id", "kind", "at"),
        Index("ix_debtor_access_events_client_kind_at", "client_hash", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    client_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # code_requested, code_failed, code_ok


class DebtorSession(Base):
    """A signed-in debtor: one case, short-lived, ended by sign-out (the row, not the cookie)."""

    __tablename__ = "debtor_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"))
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DebtorRequest(Base):
    """Something the debtor asked for on the page, with its status and the staff record it
    became (a plan, a dispute, a complaint, a stored designation)."""

    __tablename__ = "debtor_requests"
    __table_args__ = (Index("ix_debtor_requests_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, object]] = mapped_column(JSON)
    text_enc: Mapped[str | None] = mapped_column(Text)  # the debtor's own words, encrypted
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    debtor_event_id: Mapped[int | None] = mapped_column(ForeignKey("debtor_events.id"))


class DebtorAttachment(Base):
    """A file the debtor attached (a statement, a recording): encrypted, checked, hashed."""

    __tablename__ = "debtor_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("debtor_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    data_enc: Mapped[str] = mapped_column(Text)


class SelfServiceTerms(Base):
    """A creditor's published self-service rules (plans and settlements the page may agree
    without a person), as data read by :mod:`huikuan.selfservice.offers`."""

    __tablename__ = "self_service_terms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    terms: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
