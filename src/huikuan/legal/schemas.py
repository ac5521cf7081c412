"""What the legal screens show and accept, as pydantic models.

The JSON API returns these as they are and the HTML templates render the very same objects.
Money is integer fen everywhere (templates format it as yuan); the debtor appears only masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huikuan.db.ids import RowIdField

MatterKind = Literal["litigation", "arbitration", "payment_order"]
EventKind = Literal["filing", "hearing", "judgment", "enforcement", "settlement"]
CounterpartyKind = Literal["guarantor", "credit_insurer"]


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseSummary(_Read):
    case_id: int
    case_no: str
    creditor_code: str
    state: str
    debtor_name_masked: str | None = None
    balance: int = Field(description="fen: principal + interest + penalty + fees, all accounts")
    dpd: int = 0


class ReferralRow(_Read):
    """One referral waiting for legal: a stored one (``referral_id``) or a strategy action."""

    source: Literal["manual", "strategy"]
    referral_id: int | None = None
    strategy_action_id: int | None = None
    case: CaseSummary
    reason: str
    referred_by: str
    referred_at: datetime | None = None
    as_of: date


class ReferralRead(_Read):
    id: int
    case_id: int
    source: str
    status: str
    reason: str
    referred_by: str
    referred_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    matter_id: int | None = None


class LawFirmRead(_Read):
    id: int
    name: str
    address: str
    phone: str
    lawyer: str
    licence_number: str


class EventRead(_Read):
    id: int
    kind: str
    event_on: date
    note: str
    court_fee: int = Field(description="fen")
    lawyer_fee: int = Field(description="fen")
    recorded_by: str


class ReasonRead(_Read):
    rule_id: str
    message: str
    message_zh: str


class LetterRead(_Read):
    id: int
    reference: str
    letter_date: date
    decision: str
    status: str
    attempt_id: int
    reasons: list[ReasonRead]
    next_allowed_at: datetime | None = None
    created_by: str
    created_at: datetime


class MatterRead(_Read):
    id: int
    case: CaseSummary
    kind: str
    court: str
    case_number: str
    law_firm: LawFirmRead | None = None
    status: str
    referred_at: datetime
    filed_at: datetime | None = None
    days_to_filing: int | None = Field(
        default=None, description="business days (Asia/Shanghai) from referral to filing"
    )
    court_fees: int = Field(description="fen")
    lawyer_fees: int = Field(description="fen")
    total_costs: int = Field(description="fen")
    events: list[EventRead] = []
    letters: list[LetterRead] = []


class RecoveryRead(_Read):
    id: int
    received_on: date
    amount: int = Field(description="fen")
    remittance_ref: str
    payment_id: int
    payment_reference: str
    recorded_by: str


class ClaimRead(_Read):
    id: int
    account_id: int
    account_no: str
    case_id: int
    case_no: str
    counterparty_kind: str
    counterparty_name: str
    claimed_amount: int = Field(description="fen")
    recovered_amount: int = Field(description="fen")
    outstanding: int = Field(description="fen: claimed less recovered")
    status: str
    submitted_on: date | None = None
    note: str = ""
    recoveries: list[RecoveryRead] = []


class RecoveryResult(_Read):
    recovery: RecoveryRead
    created: bool = Field(description="false when this remittance was already recorded")
    claim_status: str


# --- request bodies (JSON API) ------------------------------------------------------------------


class ReferralCreate(_Body):
    case_id: RowIdField
    reason: str = Field(max_length=500)


class ReferralAccept(_Body):
    kind: MatterKind
    law_firm_id: RowIdField | None = None
    court: str = Field(default="", max_length=200)
    case_number: str = Field(default="", max_length=64)


class ReferralDecline(_Body):
    note: str = Field(max_length=500)


class LawFirmCreate(_Body):
    name: str = Field(max_length=200)
    address: str = Field(max_length=500)
    phone: str = Field(max_length=64)
    lawyer: str = Field(max_length=100)
    licence_number: str = Field(max_length=40)


class MatterUpdate(_Body):
    court: str = Field(default="", max_length=200)
    case_number: str = Field(default="", max_length=64)
    law_firm_id: RowIdField | None = None


class EventCreate(_Body):
    kind: EventKind
    event_on: date
    note: str = Field(default="", max_length=2000)
    court_fee: int = Field(default=0, ge=0, description="fen")
    lawyer_fee: int = Field(default=0, ge=0, description="fen")


class ClaimCreate(_Body):
    account_id: RowIdField
    counterparty_kind: CounterpartyKind
    counterparty_name: str = Field(max_length=200)
    claimed_amount: int = Field(gt=0, description="fen")
    note: str = Field(default="", max_length=1000)


class ClaimReject(_Body):
    note: str = Field(max_length=1000)


class RecoveryCreate(_Body):
    received_on: date
    amount: int = Field(gt=0, description="fen")
    remittance_ref: str = Field(
        max_length=32, description="the counterparty's remittance reference; unique per claim"
    )
