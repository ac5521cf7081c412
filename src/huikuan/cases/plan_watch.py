"""Watching agreed plans every day: kept, completed or broken (分期履约监控).

Data flow: the daily cycle calls :func:`watch_plans` after the nightly close. Each approved
instalment plan or settlement (``cases.models.Plan``, status ``approved``/``active``) is judged
by :func:`huikuan.core.plans.evaluate_plan` on its stored schedule against the receipts of its
account(s) since the plan was made:

* **broken** (违约: the policy's consecutive missed instalments past the grace days) → the plan
  becomes ``broken``, the case leaves ``in_plan`` (reason ``plan_broken``) and goes back to
  collection; commissions paid on the plan are clawed back by the compensation statements;
* **completed** (every instalment paid) → the plan becomes ``completed`` (reason
  ``plan_completed`` on the case);
* otherwise nothing is written.

A plan is judged once per day; running the day again finds nothing new to write.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.audit.service import record
from huikuan.cases.models import Case, Plan
from huikuan.cases.service import move_case
from huikuan.core.balances import Receipt
from huikuan.core.lifecycle import CaseState, Reason
from huikuan.core.plans import (
    DEFAULT_PLAN_POLICY,
    Instalment,
    PlanStatus,
    PlanTerms,
    ScheduleKind,
    evaluate_plan,
)
from huikuan.core.plans import Plan as CorePlan
from huikuan.payments.models import Payment

WATCHED_STATES = ("approved", "active")
WATCHED_KINDS = ("instalment", "settlement")


@dataclass
class PlanWatch:
    watched: int = 0
    broken: int = 0
    completed: int = 0


def stored_plan(terms: dict[str, Any], made_on: date) -> CorePlan | None:
    """The core plan behind stored terms (the schedule the agent saw and the lead approved),
    or ``None`` when the terms carry no schedule. Interest is folded into each instalment's
    amount: the judgement reads amounts and dates only."""
    schedule = terms.get("schedule") or []
    if not schedule:
        return None
    rows = [
        Instalment(
            number=int(line["number"]),
            due_on=date.fromisoformat(str(line["due_on"])),
            principal=int(line["amount"]),
        )
        for line in schedule
    ]
    down = sum(row.principal for row in rows if row.is_down_payment)
    monthly = [row for row in rows if not row.is_down_payment]
    if not monthly:
        return None
    total = sum(row.principal for row in rows)
    plan_terms = PlanTerms(
        kind=ScheduleKind.CUSTOM,
        amount=total,
        months=len(monthly),
        start_on=min(made_on, rows[0].due_on),
        first_due_on=monthly[0].due_on,
        down_payment=down,
        custom_amounts=tuple(row.principal for row in monthly),
    )
    return CorePlan(plan_terms, DEFAULT_PLAN_POLICY, tuple(rows))


def watch_plans(session: Session, as_of: date, *, at: datetime, actor: str = "system") -> PlanWatch:
    """Judge every plan in force on ``as_of`` and record what broke or completed."""
    result = PlanWatch()
    plans = session.scalars(
        select(Plan).where(Plan.status.in_(WATCHED_STATES), Plan.kind.in_(WATCHED_KINDS))
    ).all()
    if not plans:
        return result
    case_ids = sorted({plan.case_id for plan in plans})
    accounts: dict[int, list[int]] = defaultdict(list)
    for account_id, case_id in session.execute(
        select(Account.id, Account.case_id).where(Account.case_id.in_(case_ids))
    ):
        if case_id is not None:
            accounts[int(case_id)].append(int(account_id))
    for plan in plans:
        core = stored_plan(dict(plan.terms), plan.created_on)
        if core is None:
            continue
        result.watched += 1
        scope = [plan.account_id] if plan.account_id is not None else accounts[plan.case_id]
        receipts = [
            Receipt(received_on=row[0], amount=int(row[1]), reference=str(row[2]))
            for row in session.execute(
                select(Payment.received_on, Payment.amount, Payment.reference)
                .where(
                    Payment.account_id.in_(scope),
                    Payment.received_on >= plan.created_on,
                    Payment.received_on <= as_of,
                    Payment.amount > 0,
                )
                .order_by(Payment.received_on, Payment.id)
            )
        ]
        judged = evaluate_plan(core, receipts, as_of)
        if judged.status is PlanStatus.BROKEN:
            _close(session, plan, "broken", CaseState.ACTIVE, Reason.PLAN_BROKEN, at, actor)
            result.broken += 1
        elif judged.status is PlanStatus.COMPLETED:
            _close(session, plan, "completed", None, Reason.PLAN_COMPLETED, at, actor)
            result.completed += 1
    return result


def _close(
    session: Session,
    plan: Plan,
    status: str,
    to_state: CaseState | None,
    reason: Reason,
    at: datetime,
    actor: str,
) -> None:
    plan.status = status
    case = session.get(Case, plan.case_id)
    assert case is not None
    if case.state == CaseState.IN_PLAN.value:
        target = to_state
        if target is None:  # completed: the balance is paid under the plan
            target = CaseState.SETTLED
        move_case(session, case, target, reason=reason, actor=actor, at=at)
    record(
        session,
        at=at,
        actor=actor,
        action=f"plan.{status}",
        entity="case",
        entity_id=plan.case_id,
        detail={"plan": plan.id, "kind": plan.kind},
    )
