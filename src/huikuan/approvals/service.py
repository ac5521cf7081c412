"""The team lead's work: the team board, 调案, maker–checker approvals and contact overrides.

Every function takes the caller's :class:`~huikuan.access.policy.Principal` and reads only
through :func:`~huikuan.access.policy.case_filter` / ``get_case`` (a case of another team,
agency or creditor is simply not there: ``AccessDeniedError``, shown as 404). Refusals a user
can act on raise :class:`LeadRefusedError` with a bilingual message and the HTTP status the
web layer answers with. Writes happen in the caller's transaction (the web request's), except
:func:`reassign`, which goes through :func:`huikuan.assignment.service.reassign_cases` and its
own transaction.

Approvals, step by step (:func:`decide_plan`)::

    lock the plan row (FOR UPDATE) → status must still be "proposed" → the approver is not the
    maker → reject: needs a comment / approve: terms → PlanFigures → limits.check_limit
      beyond the limit: an "escalated" decision row + audit, nothing else changes
      within: the case may move to 分期中 (checked before any write) → conditional UPDATE
      (status = 'proposed' in the WHERE: a second approver updates nothing and is refused) →
      approval_decisions row (who, when, decision, comment, limit applied, figures) →
      cases.service.move_case (plan → in_plan, history + audit) → audit entry
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Engine, and_, func, select, update
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, case_filter, get_case
from huikuan.accounts.models import Account, Debtor
from huikuan.approvals.limits import (
    APPROVER_ROLES,
    LIMITS,
    PlanFigures,
    PlanKind,
    TermsUnreadableError,
    check_limit,
    figures_of,
    required_role,
)
from huikuan.approvals.models import ApprovalDecision
from huikuan.approvals.schemas import (
    AgentOption,
    ApprovalQueueRead,
    ApprovalRow,
    BoardRead,
    BoardRow,
    DecisionRead,
    LeadCaseRow,
    LeadCasesRead,
    LimitRead,
    OverrideResultRead,
    OverrideRow,
    OverridesRead,
    ReassignCreate,
    ReassignedCase,
    ReassignRead,
    RuleRead,
)
from huikuan.assignment.engine import AgencyApproval, AllocationRules, ReassignReason
from huikuan.assignment.engine import visible_fields as agency_fields
from huikuan.assignment.service import WORKED_STATES, reassign_cases
from huikuan.audit.service import record
from huikuan.calls.models import CallTask, CallTaskStatus
from huikuan.cases.models import Case, Plan, Promise
from huikuan.cases.service import move_case
from huikuan.compliance.models import ContactAttempt, ContactOverride
from huikuan.compliance.service import (
    OVERRIDE_REASONS,
    OverrideRefusedError,
    override_attempt,
)
from huikuan.core.lifecycle import CaseState, Reason, check_transition
from huikuan.core.promises import PromiseStatus
from huikuan.db.engine import transaction
from huikuan.org.models import Agency, Creditor, Role, Team, User

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
LEAD_ROLES: frozenset[Role] = frozenset({Role.TEAM_LEAD, Role.MANAGER})
PLAN_KINDS_INTO_PLAN = frozenset({PlanKind.INSTALMENT, PlanKind.SETTLEMENT})
"""Approving these starts a plan the debtor pays by (分期中); a waiver alone changes no state."""
OVERRIDE_WINDOW = timedelta(days=7)
MAX_ROWS = 200


class Refusal(StrEnum):
    ROLE = "role"
    OWN = "own"
    DECIDED = "decided"
    TERMS = "terms"
    COMMENT = "comment"
    STATE = "state"
    OVERRIDE = "override"
    REASON = "reason"


_STATUS = {
    Refusal.ROLE: 403,
    Refusal.OWN: 403,
    Refusal.DECIDED: 409,
    Refusal.TERMS: 422,
    Refusal.COMMENT: 422,
    Refusal.STATE: 409,
    Refusal.OVERRIDE: 409,
    Refusal.REASON: 422,
}


class LeadRefusedError(Exception):
    """A refusal the user can act on; ``status`` is what the web layer answers."""

    def __init__(self, code: Refusal, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return _STATUS[self.code]


def _require_lead(principal: Principal) -> None:
    if principal.role not in LEAD_ROLES:
        raise LeadRefusedError(
            Refusal.ROLE,
            f"角色 {principal.role.value} 无权操作 / role {principal.role.value} may not",
        )


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The business day ``day`` (Asia/Shanghai) as a UTC half-open interval.

    >>> start, end = day_bounds(date(2026, 11, 20))
    >>> start.isoformat(), end.isoformat()
    ('2026-11-19T16:00:00+00:00', '2026-11-20T16:00:00+00:00')
    """
    start = datetime.combine(day, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


# ------------------------------------------------------------------------------------ scope


def scoped_agents(session: Session, principal: Principal) -> list[tuple[User, str | None]]:
    """The active agents a lead looks after, with their team code.

    A team lead: the agents of their team (and agency). A manager: every in-house agent, or
    every agent of their agency. Anyone else: nobody.
    """
    query = (
        select(User, Team.code)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.role == Role.AGENT.value, User.active.is_(True))
    )
    if principal.agency_id is None:
        query = query.where(User.agency_id.is_(None))
    else:
        query = query.where(User.agency_id == principal.agency_id)
    if principal.role is Role.TEAM_LEAD:
        if principal.team_id is None:
            return []
        query = query.where(User.team_id == principal.team_id)
    elif principal.role is not Role.MANAGER:
        return []
    return [(user, code) for user, code in session.execute(query.order_by(User.username, User.id))]


def _names_visible(session: Session, principal: Principal) -> bool:
    """Agency staff see the masked name only where their agency's field policy allows it."""
    if principal.agency_id is None:
        return True
    code = session.scalar(select(Agency.code).where(Agency.id == principal.agency_id))
    return "debtor_name_masked" in agency_fields(str(code))


def _case_balances() -> Any:
    """Open balance (fen) per case, as a subquery."""
    return (
        select(
            Account.case_id.label("case_id"),
            func.sum(Account.principal + Account.interest + Account.penalty + Account.fee).label(
                "balance"
            ),
            func.max(Account.dpd).label("dpd"),
            func.max(Account.bucket).label("bucket"),
        )
        .where(Account.status == "open", Account.case_id.is_not(None))
        .group_by(Account.case_id)
        .subquery()
    )


# ------------------------------------------------------------------------------------ board


def team_board(session: Session, principal: Principal, *, today: date) -> BoardRead:
    """Per agent in the lead's scope: load, today's calls, PTPs, contacts and blocked attempts."""
    _require_lead(principal)
    agents = scoped_agents(session, principal)
    ids = [user.id for user, _ in agents]
    by_username = {user.username: user.id for user, _ in agents}
    # Keyed by the nullable column as read; only scoped agents' ids are ever looked up.
    counts: defaultdict[int | None, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    week_start = today - timedelta(days=today.weekday())
    if ids:
        balances = _case_balances()
        for agent_id, cases, balance in session.execute(
            select(
                Case.agent_id, func.count(Case.id), func.coalesce(func.sum(balances.c.balance), 0)
            )
            .outerjoin(balances, balances.c.case_id == Case.id)
            .where(case_filter(principal), Case.state.in_(WORKED_STATES), Case.agent_id.in_(ids))
            .group_by(Case.agent_id)
        ):
            counts[agent_id]["open_cases"] = int(cases)
            counts[agent_id]["balance"] = int(balance)
        for agent_id, status, number in session.execute(
            select(CallTask.agent_id, CallTask.status, func.count(CallTask.id))
            .where(
                CallTask.agent_id.in_(ids),
                CallTask.due_on == today,
                CallTask.status.in_((CallTaskStatus.OPEN.value, CallTaskStatus.DONE.value)),
            )
            .group_by(CallTask.agent_id, CallTask.status)
        ):
            key = "calls_open" if status == CallTaskStatus.OPEN.value else "calls_done"
            counts[agent_id][key] = int(number)
        for agent_id, number, amount in session.execute(
            select(
                Promise.agent_id, func.count(Promise.id), func.coalesce(func.sum(Promise.amount), 0)
            )
            .where(Promise.agent_id.in_(ids), Promise.promised_on == today)
            .group_by(Promise.agent_id)
        ):
            counts[agent_id]["ptp_due_today"] = int(number)
            counts[agent_id]["ptp_due_today_amount"] = int(amount)
        for agent_id, status, number in session.execute(
            select(Promise.agent_id, Promise.status, func.count(Promise.id))
            .where(
                Promise.agent_id.in_(ids),
                Promise.promised_on >= week_start,
                Promise.promised_on < week_start + timedelta(days=7),
                Promise.status.in_((PromiseStatus.KEPT.value, PromiseStatus.BROKEN.value)),
            )
            .group_by(Promise.agent_id, Promise.status)
        ):
            key = "ptp_kept_week" if status == PromiseStatus.KEPT.value else "ptp_broken_week"
            counts[agent_id][key] = int(number)
        start, end = day_bounds(today)
        for actor, executed, decision, number in session.execute(
            select(
                ContactAttempt.actor,
                ContactAttempt.executed,
                ContactAttempt.decision,
                func.count(ContactAttempt.id),
            )
            .where(
                ContactAttempt.actor.in_(list(by_username)),
                ContactAttempt.at >= start,
                ContactAttempt.at < end,
            )
            .group_by(ContactAttempt.actor, ContactAttempt.executed, ContactAttempt.decision)
        ):
            slot = counts[by_username[actor]]
            if executed:
                slot["contacts_today"] += int(number)
            elif decision == "blocked":
                slot["blocked_today"] += int(number)
            elif decision == "deferred":
                slot["deferred_today"] += int(number)
    rows = [
        BoardRow(
            agent_id=user.id,
            username=user.username,
            display_name=user.display_name,
            team_code=team_code,
            **counts[user.id],
        )
        for user, team_code in agents
    ]
    summed = {
        name: sum(int(getattr(row, name)) for row in rows)
        for name in BoardRow.model_fields
        if BoardRow.model_fields[name].annotation is int and name != "agent_id"
    }
    totals = BoardRow(agent_id=0, username="", display_name="", **summed)
    return BoardRead(business_date=today, week_start=week_start, rows=rows, totals=totals)


# ------------------------------------------------------------------------------- 调案


def lead_cases(
    session: Session,
    principal: Principal,
    *,
    agent_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LeadCasesRead:
    """The cases being worked in the lead's scope (optionally one agent's), worst DPD first."""
    _require_lead(principal)
    limit = max(1, min(limit, MAX_ROWS))
    offset = max(0, offset)
    balances = _case_balances()
    query = (
        select(
            Case.id,
            Case.case_no,
            Debtor.name_masked,
            Case.agent_id,
            User.display_name,
            Case.state,
            balances.c.balance,
            balances.c.dpd,
            balances.c.bucket,
        )
        .join(Debtor, Debtor.id == Case.debtor_id)
        .outerjoin(User, User.id == Case.agent_id)
        .outerjoin(balances, balances.c.case_id == Case.id)
        .where(case_filter(principal), Case.state.in_(WORKED_STATES))
    )
    if agent_id is not None:
        query = query.where(Case.agent_id == agent_id)
    found = session.execute(
        query.order_by(func.coalesce(balances.c.dpd, 0).desc(), Case.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    show_names = _names_visible(session, principal)
    rows = [
        LeadCaseRow(
            case_id=row[0],
            case_no=row[1],
            debtor_name_masked=row[2] if show_names else None,
            agent_id=row[3],
            agent=row[4],
            state=row[5],
            balance=int(row[6] or 0),
            dpd=row[7],
            bucket=row[8],
        )
        for row in found[:limit]
    ]
    return LeadCasesRead(
        offset=offset,
        limit=limit,
        has_more=len(found) > limit,
        agent_id=agent_id,
        rows=rows,
        agents=agent_options(session, principal),
        reasons=[reason.value for reason in ReassignReason],
    )


def agent_options(session: Session, principal: Principal) -> list[AgentOption]:
    """Who the lead may move cases to, with how much each holds now."""
    agents = scoped_agents(session, principal)
    ids = [user.id for user, _ in agents]
    load: dict[int, int] = {}
    if ids:
        load = {
            agent_id: int(number)
            for agent_id, number in session.execute(
                select(Case.agent_id, func.count(Case.id))
                .where(Case.agent_id.in_(ids), Case.state.in_(WORKED_STATES))
                .group_by(Case.agent_id)
            )
            if agent_id is not None
        }
    return [
        AgentOption(
            agent_id=user.id,
            username=user.username,
            display_name=user.display_name,
            team_code=team_code,
            open_cases=load.get(user.id, 0),
            capacity_count=user.capacity_count,
        )
        for user, team_code in agents
    ]


def reassign(
    engine: Engine,
    principal: Principal,
    request: ReassignCreate,
    *,
    as_of: date,
    at: datetime,
) -> ReassignRead:
    """Move the selected cases to an agent in the lead's scope (capacity and language checked,
    history written and audited by :func:`huikuan.assignment.service.reassign_cases`).

    Raises ``AccessDeniedError`` for a case or an agent outside the scope and
    ``ReassignmentRefused`` (bilingual) when the move may not be made, e.g. over capacity.
    """
    _require_lead(principal)
    wanted = sorted(set(request.case_ids))
    with transaction(engine) as session:
        target = next(
            (
                user
                for user, _ in scoped_agents(session, principal)
                if user.id == request.to_agent_id
            ),
            None,
        )
        if target is None:
            raise AccessDeniedError(f"agent {request.to_agent_id} is not in the caller's scope")
        target_username = target.username
        creditors = sorted(
            set(
                session.scalars(
                    select(Creditor.code)
                    .join(Case, Case.creditor_id == Creditor.id)
                    .where(Case.id.in_(wanted), case_filter(principal))
                )
            )
        )
        agency_code = (
            session.scalar(select(Agency.code).where(Agency.id == principal.agency_id))
            if principal.agency_id is not None
            else None
        )
    # An agency lead's cases are already placed with the agency (the creditor's placement is
    # its approval), so moving them between the agency's own agents is approved for exactly
    # those creditors; an in-house lead's agents are in-house and need no approval.
    approvals = tuple(AgencyApproval(code, (agency_code,)) for code in creditors if agency_code)
    rules = AllocationRules(code="LEAD-REASSIGN", version=1, rules=(), agency_approvals=approvals)
    changes = reassign_cases(
        engine,
        principal,
        wanted,
        target_username,
        rules=rules,
        reason=request.reason.value,
        note=request.note.strip(),
        as_of=as_of,
        at=at,
    )
    return ReassignRead(
        to_agent_id=request.to_agent_id,
        to_agent=target_username,
        moved=[
            ReassignedCase(
                case_id=change.case_id,
                from_agent_id=change.from_agent_id,
                to_agent_id=change.to_agent_id,
            )
            for change in changes
        ],
        unchanged=len(wanted) - len(changes),
    )


# ------------------------------------------------------------------------------- approvals


def _limit_read(role: Role) -> LimitRead | None:
    limit = LIMITS.get(role)
    if limit is None:
        return None
    return LimitRead(
        role=role.value,
        code=limit.code,
        max_waiver_ppm=limit.max_waiver_ppm,
        max_waiver_amount=limit.max_waiver_amount,
        max_months=limit.max_months,
    )


def _balances_for(session: Session, plans: Sequence[Plan]) -> dict[int, int]:
    """The balance each plan applies to: its account's, or else its case's open accounts'."""
    total = Account.principal + Account.interest + Account.penalty + Account.fee
    case_ids = {plan.case_id for plan in plans}
    account_ids = {plan.account_id for plan in plans if plan.account_id is not None}
    per_case: dict[int, int] = {}
    per_account: dict[int, int] = {}
    if case_ids:
        per_case = {
            case_id: int(amount or 0)
            for case_id, amount in session.execute(
                select(Account.case_id, func.sum(total))
                .where(Account.case_id.in_(case_ids), Account.status == "open")
                .group_by(Account.case_id)
            )
            if case_id is not None
        }
    if account_ids:
        per_account = {
            int(account_id): int(amount)
            for account_id, amount in session.execute(
                select(Account.id, total).where(Account.id.in_(account_ids))
            )
        }
    return {
        plan.id: per_account.get(plan.account_id, 0)
        if plan.account_id is not None
        else per_case.get(plan.case_id, 0)
        for plan in plans
    }


def _escalations(session: Session, plan_ids: Iterable[int]) -> dict[int, str | None]:
    """The latest escalation of each plan (target role, or None: beyond every limit)."""
    ids = list(plan_ids)
    if not ids:
        return {}
    latest: dict[int, str | None] = {}
    for plan_id, target in session.execute(
        select(ApprovalDecision.plan_id, ApprovalDecision.escalated_to)
        .where(ApprovalDecision.plan_id.in_(ids), ApprovalDecision.decision == "escalated")
        .order_by(ApprovalDecision.at, ApprovalDecision.id)
    ):
        latest[int(plan_id)] = target
    return latest


def _figures_json(figures: PlanFigures | None) -> dict[str, object]:
    if figures is None:
        return {}
    return {
        "kind": figures.kind.value,
        "months": figures.months,
        "waived": figures.waived,
        "balance": figures.balance,
        "waived_ppm": figures.waived_ppm,
    }


def approval_queue(session: Session, principal: Principal) -> ApprovalQueueRead:
    """Proposed plans in scope; those escalated to the caller's role first, then oldest first."""
    _require_lead(principal)
    found = session.execute(
        select(Plan, Case.case_no, Debtor.name_masked)
        .join(Case, Case.id == Plan.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Plan.status == "proposed", case_filter(principal))
        .order_by(Plan.created_on, Plan.id)
        .limit(MAX_ROWS)
    ).all()
    plans = [row[0] for row in found]
    balances = _balances_for(session, plans)
    escalated = _escalations(session, (plan.id for plan in plans))
    show_names = _names_visible(session, principal)
    rows: list[ApprovalRow] = []
    for plan, case_no, name_masked in found:
        balance = balances[plan.id]
        own = plan.proposed_by == principal.username
        figures: PlanFigures | None
        problem: str | None
        try:
            figures = figures_of(plan.kind, plan.terms, balance)
        except TermsUnreadableError as exc:
            figures, problem = None, str(exc)
            within = False
        else:
            check = check_limit(principal.role, figures)
            within = check.within
            problem = None if within else check.message()
        if own:
            problem = "本人发起，不能本人审批 / you proposed it: someone else must decide"
        amount = plan.terms.get("amount")
        rows.append(
            ApprovalRow(
                plan_id=plan.id,
                case_id=plan.case_id,
                case_no=case_no,
                debtor_name_masked=name_masked if show_names else None,
                kind=plan.kind,
                created_on=plan.created_on,
                proposed_by=plan.proposed_by,
                months=None if figures is None else figures.months,
                waived=None if figures is None else figures.waived,
                balance=balance,
                waived_ppm=None if figures is None else figures.waived_ppm,
                amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
                required_role=None
                if figures is None or (role := required_role(figures)) is None
                else role.value,
                escalated_to=escalated.get(plan.id),
                escalated=plan.id in escalated,
                own=own,
                within_limit=within,
                problem=problem,
            )
        )
    rows.sort(key=lambda row: not (row.escalated and row.escalated_to == principal.role.value))
    return ApprovalQueueRead(
        role=principal.role.value, limit=_limit_read(principal.role), rows=rows
    )


@dataclass(frozen=True, slots=True)
class _Locked:
    plan: Plan
    case: Case


def _lock_plan(session: Session, principal: Principal, plan_id: int) -> _Locked:
    plan = session.scalars(
        select(Plan)
        .where(Plan.id == plan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if plan is None:
        raise AccessDeniedError(f"plan {plan_id} is not available to {principal.username}")
    case = get_case(session, principal, plan.case_id)  # out of scope reads as not found
    return _Locked(plan, case)


def decide_plan(
    session: Session,
    principal: Principal,
    plan_id: int,
    *,
    decision: str,
    comment: str,
    at: datetime,
) -> DecisionRead:
    """Approve or reject a proposed plan (maker–checker, limits per role); see the module doc.

    Returns the decision; an approval beyond the caller's limit returns ``decision ==
    "escalated"`` (recorded, nothing else changed) for the web layer to answer as refused.
    """
    if principal.role not in APPROVER_ROLES:
        raise LeadRefusedError(
            Refusal.ROLE,
            f"角色 {principal.role.value} 无审批权限 / role {principal.role.value} may not approve",
        )
    if decision not in ("approve", "reject"):
        raise ValueError(f"decision must be approve or reject, not {decision!r}")
    locked = _lock_plan(session, principal, plan_id)
    plan, case = locked.plan, locked.case
    if plan.status != "proposed":
        raise LeadRefusedError(
            Refusal.DECIDED, f"该方案已处理（{plan.status}） / this plan is already {plan.status}"
        )
    if plan.proposed_by == principal.username:
        raise LeadRefusedError(
            Refusal.OWN,
            "不能审批本人发起的方案 / nobody approves their own proposal (maker–checker)",
        )
    note = comment.strip()
    balance = _balances_for(session, [plan])[plan.id]
    limit = LIMITS[principal.role]
    if decision == "reject":
        if not note:
            raise LeadRefusedError(
                Refusal.COMMENT, "comment：驳回须填写意见 / comment: a rejection needs a comment"
            )
        try:
            figures: PlanFigures | None = figures_of(plan.kind, plan.terms, balance)
        except TermsUnreadableError:
            figures = None  # unreadable terms can still be rejected
        return _apply(session, principal, locked, "rejected", note, limit.code, figures, at)
    try:
        figures = figures_of(plan.kind, plan.terms, balance)
    except TermsUnreadableError as exc:
        raise LeadRefusedError(Refusal.TERMS, f"方案条款不完整 / {exc}") from None
    check = check_limit(principal.role, figures)
    if not check.within:
        return _escalate(
            session, principal, locked, note, figures, check.escalate_to, at, check.message()
        )
    if figures.kind in PLAN_KINDS_INTO_PLAN and case.state != CaseState.IN_PLAN.value:
        refusal = check_transition(case.state, CaseState.IN_PLAN, Reason.PLAN_AGREED)
        if refusal is not None:  # checked before any write: nothing half-done
            raise LeadRefusedError(Refusal.STATE, refusal.message)
    return _apply(session, principal, locked, "approved", note, limit.code, figures, at)


def _escalate(
    session: Session,
    principal: Principal,
    locked: _Locked,
    note: str,
    figures: PlanFigures,
    target: Role | None,
    at: datetime,
    message: str,
) -> DecisionRead:
    plan, limit = locked.plan, LIMITS[principal.role]
    already = session.scalar(
        select(func.count(ApprovalDecision.id)).where(
            ApprovalDecision.plan_id == plan.id,
            ApprovalDecision.decision == "escalated",
            ApprovalDecision.role == principal.role.value,
        )
    )
    if not already:
        session.add(
            ApprovalDecision(
                plan_id=plan.id,
                case_id=plan.case_id,
                decision="escalated",
                decided_by=principal.username,
                role=principal.role.value,
                at=_utc(at),
                comment=note,
                limit_code=limit.code,
                figures=_figures_json(figures),
                escalated_to=None if target is None else target.value,
            )
        )
        session.flush()
        record(
            session,
            at=at,
            actor=principal.username,
            action="plan.escalated",
            entity="case",
            entity_id=plan.case_id,
            detail={
                "plan": plan.id,
                "kind": plan.kind,
                "limit": limit.code,
                "to": None if target is None else target.value,
                "figures": _figures_json(figures),
            },
        )
    return DecisionRead(
        plan_id=plan.id,
        case_id=plan.case_id,
        decision="escalated",
        plan_status=plan.status,
        case_state=locked.case.state,
        decided_by=principal.username,
        at=at,
        comment=note,
        limit_code=limit.code,
        escalated_to=None if target is None else target.value,
        message=message,
    )


def _apply(
    session: Session,
    principal: Principal,
    locked: _Locked,
    outcome: str,
    note: str,
    limit_code: str,
    figures: PlanFigures | None,
    at: datetime,
) -> DecisionRead:
    plan, case = locked.plan, locked.case
    # The status in the WHERE makes the decision single even where FOR UPDATE is a no-op
    # (SQLite): a second decider updates no row and is refused.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Plan)
            .where(and_(Plan.id == plan.id, Plan.status == "proposed"))
            .values(status=outcome, approved_by=principal.username)
            .execution_options(synchronize_session="evaluate")
        ),
    )
    if result.rowcount != 1:
        raise LeadRefusedError(Refusal.DECIDED, "该方案已处理 / this plan is already decided")
    session.add(
        ApprovalDecision(
            plan_id=plan.id,
            case_id=plan.case_id,
            decision=outcome,
            decided_by=principal.username,
            role=principal.role.value,
            at=_utc(at),
            comment=note,
            limit_code=limit_code,
            figures=_figures_json(figures),
            escalated_to=None,
        )
    )
    session.flush()
    if (
        outcome == "approved"
        and figures is not None
        and figures.kind in PLAN_KINDS_INTO_PLAN
        and case.state != CaseState.IN_PLAN.value
    ):
        move_case(
            session,
            case,
            CaseState.IN_PLAN,
            reason=Reason.PLAN_AGREED,
            actor=principal.username,
            at=at,
            note=f"plan {plan.id}",
        )
    record(
        session,
        at=at,
        actor=principal.username,
        action=f"plan.{outcome}",
        entity="case",
        entity_id=plan.case_id,
        detail={
            "plan": plan.id,
            "kind": plan.kind,
            "proposed_by": plan.proposed_by,
            "limit": limit_code,
            "figures": _figures_json(figures),
        },
    )
    message = "已批准 / approved" if outcome == "approved" else "已驳回 / rejected"
    return DecisionRead(
        plan_id=plan.id,
        case_id=plan.case_id,
        decision="approved" if outcome == "approved" else "rejected",
        plan_status=outcome,
        case_state=case.state,
        decided_by=principal.username,
        at=at,
        comment=note,
        limit_code=limit_code,
        escalated_to=None,
        message=message,
    )


# ------------------------------------------------------------------------------- overrides


def _overridable(reasons: Sequence[dict[str, object]]) -> bool:
    return bool(reasons) and all(reason.get("override_eligible") for reason in reasons)


def override_queue(session: Session, principal: Principal, *, now: datetime) -> OverridesRead:
    """Blocked or deferred attempts of the last week, in scope, whose every reason is a
    presumption a supervisor may override (e.g. Regulation F's 7-in-7), not yet overridden."""
    _require_lead(principal)
    since = _utc(now) - OVERRIDE_WINDOW
    found = session.execute(
        select(ContactAttempt, Case.case_no)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(
            case_filter(principal),
            ContactAttempt.executed.is_(False),
            ContactAttempt.decision.in_(("blocked", "deferred")),
            ContactAttempt.at >= since,
            ContactAttempt.id.not_in(select(ContactOverride.attempt_id)),
        )
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
        .limit(MAX_ROWS)
    ).all()
    rows = [
        OverrideRow(
            attempt_id=attempt.id,
            case_id=attempt.case_id,
            case_no=case_no,
            at=_utc(attempt.at),
            channel=attempt.channel,
            party=attempt.party,
            decision=attempt.decision,
            actor=attempt.actor,
            next_allowed_at=None
            if attempt.next_allowed_at is None
            else _utc(attempt.next_allowed_at),
            rules=[
                RuleRead(
                    rule_id=str(reason.get("rule_id", "")),
                    message=str(reason.get("message", "")),
                    message_zh=str(reason.get("message_zh", "")),
                )
                for reason in attempt.reasons
            ],
            own=attempt.actor == principal.username,
        )
        for attempt, case_no in found
        if _overridable(attempt.reasons)
    ]
    return OverridesRead(since=since, reasons=sorted(OVERRIDE_REASONS), rows=rows)


def override(
    session: Session,
    principal: Principal,
    attempt_id: int,
    *,
    reason_code: str,
    note: str,
    at: datetime,
) -> OverrideResultRead:
    """Let a stopped contact go ahead, through ``compliance.service.override_attempt``."""
    _require_lead(principal)
    attempt = session.get(ContactAttempt, attempt_id)
    if attempt is None:
        raise AccessDeniedError(f"attempt {attempt_id} is not available")
    get_case(session, principal, attempt.case_id)
    if attempt.actor == principal.username:
        raise LeadRefusedError(
            Refusal.OWN, "不能复核本人的联系 / nobody overrides their own contact (maker–checker)"
        )
    if reason_code not in OVERRIDE_REASONS:
        raise LeadRefusedError(
            Refusal.REASON,
            f"reason_code：未知原因 {reason_code!r} / reason_code: unknown reason {reason_code!r}",
        )
    try:
        made = override_attempt(
            session, principal, attempt_id, reason_code=reason_code, at=at, note=note.strip()
        )
    except OverrideRefusedError as exc:
        raise LeadRefusedError(Refusal.OVERRIDE, f"不能复核 / {exc}") from None
    return OverrideResultRead(
        attempt_id=attempt.id,
        case_id=attempt.case_id,
        decision=attempt.decision,
        reason_code=made.reason_code,
        approver=made.approver,
        requested_by=made.requested_by,
        at=_utc(made.at),
        note=made.note,
        rules=sorted({str(reason.get("rule_id", "")) for reason in attempt.reasons}),
    )
