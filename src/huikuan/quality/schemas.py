"""What the QA screens show and the JSON API returns, as pydantic models (one set for both).

Times are aware UTC datetimes (pages show them in Asia/Shanghai); scores are whole points 0–100.
Names carry a ``Qa``/``Complaint``/``Dispute`` prefix so they stay unique in the OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from huikuan.db.ids import RowIdField


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class QaSegmentRead(_Read):
    text: str
    marked: bool = False
    categories: list[str] = []
    phrases: list[str] = []
    effect: str | None = Field(default=None, description="block or warn, when marked")


class QaHitRead(_Read):
    category: str
    phrase: str
    start: int = Field(description="offset in the text, in Unicode code points")
    end: int
    effect: str


class QaScreenedRead(_Read):
    """A text with the banned-phrase screen's hits, cut into plain and marked segments."""

    text: str
    segments: list[QaSegmentRead]
    hits: list[QaHitRead]
    blocked: bool


class QaReasonRead(_Read):
    rule_id: str
    message: str
    message_zh: str


class QaContactRead(_Read):
    attempt_id: int
    case_id: int
    case_no: str
    at: datetime
    channel: str
    direction: str
    party: str
    actor: str
    outcome: str | None = None
    decision: str
    executed: bool
    reasons: list[QaReasonRead]
    next_allowed_at: datetime | None = None
    content: QaScreenedRead | None = None
    note: QaScreenedRead | None = None
    categories: list[str] = Field(description="banned-phrase categories found in content or note")
    review_total: int | None = None


class QaSampleRead(_Read):
    business_date: date
    reviewer: str
    size: int
    population: int = Field(description="contacts in the window that the sample was drawn from")
    window_start: date
    window_end: date = Field(description="last day of the window (the day before the sample date)")
    text_only: bool
    contacts: list[QaContactRead]


class QaCriterionRead(_Read):
    code: str
    weight: int
    label_zh: str
    label_en: str
    critical: bool
    may_be_na: bool


class QaRatingRead(_Read):
    code: str
    percent: int | None = Field(description="share of the weight earned; None for N/A")
    label_zh: str
    label_en: str


class QaScorecardRead(_Read):
    version: str
    criteria: list[QaCriterionRead]
    ratings: list[QaRatingRead]


class QaReviewCreate(BaseModel):
    scores: dict[str, str] = Field(description="criterion code → pass, partial, fail or na")
    comment: str = Field(default="", max_length=2000)


class QaReviewRead(_Read):
    id: int
    attempt_id: int
    case_id: int
    agent_id: int | None
    contact_at: datetime
    reviewer: str
    reviewed_at: datetime
    scorecard_version: str
    scores: dict[str, str]
    total: int = Field(ge=0, le=100)
    comment: str


class QaSheetRead(_Read):
    """One contact with its score sheet: suggestions from the screen, and the saved review."""

    contact: QaContactRead
    scorecard: QaScorecardRead
    suggested: dict[str, str]
    review: QaReviewRead | None = None
    can_review: bool


class QaScoreRead(_Read):
    agent_id: int
    period_start: date
    period_end: date
    score: int | None = Field(description="average sheet total, half up; None without reviews")


class TimerRead(_Read):
    deadline: str = Field(description="acknowledge or resolve")
    due_at: datetime
    overdue: bool
    amount: int
    unit: str = Field(description="d, h or m")


class ComplaintCreate(BaseModel):
    case_id: RowIdField
    source: str
    category: str
    summary: str = Field(max_length=4000)
    received_at: datetime | None = Field(
        default=None, description="when the complaint arrived (default: now); aware"
    )
    owner: str | None = Field(default=None, max_length=64)


class ComplaintResolve(BaseModel):
    resolution: str = Field(max_length=4000)


class ComplaintRead(_Read):
    id: int
    case_id: int
    case_no: str
    source: str
    category: str
    about_conduct: bool
    summary: str
    received_at: datetime
    acknowledge_due_at: datetime
    due_at: datetime
    sla_basis: str
    status: str
    owner: str | None = None
    opened_by: str
    acknowledged_at: datetime | None = None
    escalated_at: datetime | None = None
    escalation_reason: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    hold_id: int | None = None
    hold_active: bool
    timer: TimerRead | None = Field(default=None, description="the next deadline while open")


class ComplaintListRead(_Read):
    escalated_now: list[int] = Field(description="complaints this request escalated")
    complaints: list[ComplaintRead]


class DisputeCreate(BaseModel):
    case_id: RowIdField
    reason: str
    evidence_note: str = Field(default="", max_length=4000)


class DisputeDecide(BaseModel):
    outcome: str = Field(description="upheld or rejected")
    note: str = Field(max_length=4000)


class DisputeRead(_Read):
    id: int
    case_id: int
    case_no: str
    reason: str
    evidence_note: str
    status: str
    opened_by: str
    opened_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    hold_id: int | None = None
    hold_active: bool
    adjustment_follow_up: bool = Field(
        description="upheld: a balance adjustment must be requested separately (not automated)"
    )


class EscalationRead(_Read):
    escalated: list[int] = Field(description="ids of the complaints escalated by this call")
