"""What the team lead's screens show and accept, as pydantic models.

The JSON API (``/api/lead/...``) returns these as they are and the HTML templates render the
very same objects. Money is integer fen (every amount field); shares are ppm. Debtors appear
only by case number and masked name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from huikuan.assignment.engine import ReassignReason
from huikuan.db.ids import RowIdField


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Create(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------------ board


class BoardRow(_Read):
    agent_id: int
    username: str
    display_name: str
    team_code: str | None = None
    open_cases: int = 0
    balance: int = Field(default=0, description="fen held in open cases")
    calls_open: int = Field(default=0, description="today's call tasks still open")
    calls_done: int = Field(default=0, description="today's call tasks done")
    ptp_due_today: int = 0
    ptp_due_today_amount: int = Field(default=0, description="fen")
    ptp_kept_week: int = 0
    ptp_broken_week: int = 0
    contacts_today: int = Field(default=0, description="executed contact attempts today")
    blocked_today: int = Field(default=0, description="attempts the guard blocked today")
    deferred_today: int = Field(default=0, description="attempts the guard deferred today")

    @property
    def kept_rate_percent(self) -> int | None:
        """Kept ÷ (kept + broken) this week, in whole percent (rounded down)."""
        judged = self.ptp_kept_week + self.ptp_broken_week
        return None if judged == 0 else self.ptp_kept_week * 100 // judged


class BoardRead(_Read):
    business_date: date
    week_start: date
    rows: list[BoardRow]
    totals: BoardRow


# ------------------------------------------------------------------------------- re-assign


class AgentOption(_Read):
    agent_id: int
    username: str
    display_name: str
    team_code: str | None = None
    open_cases: int = 0
    capacity_count: int | None = None


class LeadCaseRow(_Read):
    case_id: int
    case_no: str
    debtor_name_masked: str | None = None
    agent_id: int | None = None
    agent: str | None = None
    state: str
    balance: int = Field(default=0, description="fen")
    dpd: int | None = None
    bucket: str | None = None


class LeadCasesRead(_Read):
    offset: int
    limit: int
    has_more: bool
    agent_id: int | None = None
    rows: list[LeadCaseRow]
    agents: list[AgentOption]
    reasons: list[str]


class ReassignCreate(_Create):
    case_ids: list[RowIdField] = Field(min_length=1, max_length=500)
    to_agent_id: RowIdField
    reason: ReassignReason
    note: str = Field(default="", max_length=500)


class ReassignedCase(_Read):
    case_id: int
    from_agent_id: int | None = None
    to_agent_id: int


class ReassignRead(_Read):
    to_agent_id: int
    to_agent: str
    moved: list[ReassignedCase]
    unchanged: int = Field(description="selected cases the agent already held")


# ------------------------------------------------------------------------------- approvals


class LimitRead(_Read):
    role: str
    code: str
    max_waiver_ppm: int
    max_waiver_amount: int = Field(description="fen")
    max_months: int


class ApprovalRow(_Read):
    plan_id: int
    case_id: int
    case_no: str
    debtor_name_masked: str | None = None
    kind: str
    created_on: date
    proposed_by: str
    months: int | None = None
    waived: int | None = Field(default=None, description="fen")
    balance: int = Field(description="fen, the balance the proposal applies to")
    waived_ppm: int | None = None
    amount: int | None = Field(default=None, description="fen, terms.amount when given")
    required_role: str | None = Field(
        default=None, description="the lowest role whose limit covers it; null: none does"
    )
    escalated_to: str | None = None
    escalated: bool = False
    own: bool = Field(description="the caller proposed it (maker–checker: may not decide)")
    within_limit: bool
    problem: str | None = Field(default=None, description="why the caller cannot approve it")


class ApprovalQueueRead(_Read):
    role: str
    limit: LimitRead | None = None
    rows: list[ApprovalRow]


class DecisionCreate(_Create):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=1000)


class DecisionRead(_Read):
    plan_id: int
    case_id: int
    decision: Literal["approved", "rejected", "escalated"]
    plan_status: str
    case_state: str
    decided_by: str
    at: datetime
    comment: str
    limit_code: str | None = None
    escalated_to: str | None = None
    message: str


# ------------------------------------------------------------------------------- overrides


class RuleRead(_Read):
    rule_id: str
    message: str
    message_zh: str


class OverrideRow(_Read):
    attempt_id: int
    case_id: int
    case_no: str
    at: datetime
    channel: str
    party: str
    decision: str
    actor: str
    next_allowed_at: datetime | None = None
    rules: list[RuleRead]
    own: bool = Field(description="the caller made the attempt (may not override it)")


class OverridesRead(_Read):
    since: datetime
    reasons: list[str]
    rows: list[OverrideRow]


class OverrideCreate(_Create):
    reason_code: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=1000)


class OverrideResultRead(_Read):
    attempt_id: int
    case_id: int
    decision: str
    reason_code: str
    approver: str
    requested_by: str
    at: datetime
    note: str
    rules: list[str]
