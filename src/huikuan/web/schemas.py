"""What the queue and the case page show, as pydantic models: the JSON API returns them as they
are and the HTML templates render the very same objects, so both always agree.

Money is integer fen everywhere (``*_fen`` is implied for every amount); templates format it
as yuan. Personal data is masked; a field an agency may not see (PIPL minimum necessary) is
``None`` and its name is missing from ``fields``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huikuan.db.ids import RowIdField


def _aware(moment: datetime) -> datetime:
    """Stored timestamps are UTC; SQLite gives them back without the offset, so add it."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


UtcDatetime = Annotated[datetime, AfterValidator(_aware)]


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class MeRead(_Read):
    username: str
    display_name: str
    role: str
    creditor_id: int | None = None
    agency_id: int | None = None
    team_id: int | None = None


class QueueRow(_Read):
    case_id: int
    case_no: str | None = None
    creditor_code: str | None = None
    state: str | None = None
    debtor_name_masked: str | None = None
    mobile_masked: str | None = None
    account_no: str | None = None
    balance: int | None = Field(default=None, description="fen")
    dpd: int | None = None
    bucket: str | None = None
    placement_end: date | None = None
    ptp_today: bool = False
    ptp_amount: int | None = Field(default=None, description="fen, promised for today")


class QueueRead(_Read):
    business_date: date
    offset: int
    limit: int
    has_more: bool
    fields: list[str]
    rows: list[QueueRow]


class DebtorRead(_Read):
    name_masked: str | None = None
    id_number_masked: str | None = None
    region: str | None = None
    anonymised: bool = False


class ContactPointRead(_Read):
    id: int
    kind: str
    owner_type: str
    relationship: str | None = None
    value_masked: str
    status: str


class AccountRead(_Read):
    id: int
    account_no: str
    product_code: str
    status: str
    principal: int
    interest: int
    penalty: int
    fee: int
    total: int
    dpd: int
    bucket: str


class PaymentRead(_Read):
    id: int
    account_no: str
    received_on: date
    amount: int
    channel: str
    reference: str


class ReasonRead(_Read):
    rule_id: str
    message: str
    message_zh: str


class AttemptRead(_Read):
    id: int
    at: UtcDatetime
    channel: str
    direction: str
    party: str
    outcome: str | None = None
    disposition: str | None = None
    executed: bool
    decision: str
    reasons: list[ReasonRead]
    next_allowed_at: UtcDatetime | None = None
    actor: str


class PromiseRead(_Read):
    id: int
    amount: int
    promised_on: date
    created_on: date
    status: str


class PlanRead(_Read):
    id: int
    kind: str
    status: str
    created_on: date
    proposed_by: str
    approved_by: str | None = None


class CaseRead(_Read):
    id: int
    case_no: str | None = None
    creditor_code: str
    state: str | None = None
    agent: str | None = None
    placement_end: date | None = None
    fields: list[str]
    debtor: DebtorRead
    contacts: list[ContactPointRead]
    accounts: list[AccountRead]
    total: int
    payments: list[PaymentRead]
    timeline: list[AttemptRead]
    promises: list[PromiseRead]
    plans: list[PlanRead]
    # Which personal fields this user may have shown in full (every reveal is audited).
    can_reveal: list[str]


class RevealCreate(_Read):
    field: str = Field(pattern="^(name|mobile|id_number)$")
    contact_id: RowIdField | None = None


class RevealRead(_Read):
    field: str
    value: str
