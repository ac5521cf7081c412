"""Tables of the legal stage (法催): law firms, referrals, matters, their events, lawyer letters,
and claims on guarantors and credit insurers with the recoveries they paid."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from huikuan.db.base import Base, BigId


class LawFirm(Base):
    """A law firm the lender engages; a matter names its firm, a lawyer letter is signed by it."""

    __tablename__ = "law_firms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(64))
    lawyer: Mapped[str] = mapped_column(String(100))
    licence_number: Mapped[str] = mapped_column(String(40))  # 律师执业证号
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LegalReferral(Base):
    """A case handed to legal, by the strategy (one of its queued ``legal`` actions) or by a
    team lead or manager, and legal's decision on it."""

    __tablename__ = "legal_referrals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # strategy | manual
    strategy_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("strategy_actions.id"), unique=True
    )
    as_of: Mapped[date] = mapped_column(Date)  # business date of the referral
    reason: Mapped[str] = mapped_column(Text)
    referred_by: Mapped[str] = mapped_column(String(64))
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # pending | accepted | declined
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(Text, default="")


class LegalMatter(Base):
    """Litigation, arbitration or a payment order (支付令) pursued for one case."""

    __tablename__ = "legal_matters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("legal_referrals.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # litigation | arbitration | payment_order
    court: Mapped[str] = mapped_column(String(200), default="")  # court or arbitral tribunal
    case_number: Mapped[str] = mapped_column(String(64), default="")  # the court's 案号
    law_firm_id: Mapped[int | None] = mapped_column(ForeignKey("law_firms.id"))
    status: Mapped[str] = mapped_column(String(16))
    # Referral-to-filing time is a KPI: both instants are kept.
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LegalEvent(Base):
    """A step of a matter (filing, hearing, judgment, enforcement, settlement) and its costs."""

    __tablename__ = "legal_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("legal_matters.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    court_fee: Mapped[int] = mapped_column(BigInteger, default=0)  # fen
    lawyer_fee: Mapped[int] = mapped_column(BigInteger, default=0)  # fen
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LegalLetter(Base):
    """A lawyer letter put to the compliance guard; ``params`` are the letter's content as
    :func:`huikuan.letters.to_params` writes it (the debtor's name only as a cipher token), so
    the very same PDF can be rendered again for an evidence pack."""

    __tablename__ = "legal_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("legal_matters.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    letter_date: Mapped[date] = mapped_column(Date)
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    address_contact_id: Mapped[int] = mapped_column(ForeignKey("contact_points.id"))
    contact_attempt_id: Mapped[int] = mapped_column(ForeignKey("contact_attempts.id"))
    decision: Mapped[str] = mapped_column(String(12))  # the guard's: allowed | blocked | deferred
    status: Mapped[str] = mapped_column(String(12))  # sent | blocked | deferred
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecoveryClaim(Base):
    """A claim on a guarantor (担保人) or a credit insurer (信用保险) for one account."""

    __tablename__ = "recovery_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    counterparty_kind: Mapped[str] = mapped_column(String(16))  # guarantor | credit_insurer
    counterparty_name: Mapped[str] = mapped_column(String(200))
    claimed_amount: Mapped[int] = mapped_column(BigInteger)  # fen
    status: Mapped[str] = mapped_column(String(12))  # open | submitted | paid | rejected
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_on: Mapped[date | None] = mapped_column(Date)


class ClaimRecovery(Base):
    """Money a counterparty paid on a claim, and the payment it posted against the account.

    Unique by the counterparty's remittance reference within a claim: recording the same
    remittance twice (a double click, a retried request) finds the first, never a second payment.
    """

    __tablename__ = "claim_recoveries"
    __table_args__ = (UniqueConstraint("claim_id", "remittance_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("recovery_claims.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # fen
    remittance_ref: Mapped[str] = mapped_column(String(32))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
