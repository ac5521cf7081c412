"""Who and what each payment of a period counts for: agent, agency, 账龄 bucket and plan.

Data flow: payments received in the period ⋈ accounts → per payment, from history tables:

* the **agent, team and agency** holding the case on the day the money came in, from the
  分案 history (:class:`~huikuan.cases.models.Assignment`; an assignment ending on a day hands
  that day to its successor, as :mod:`huikuan.assignment.service` writes them), falling back
  to the case's current holder only where the case has no assignment history at all;
* the **bucket** the account stood in when the money came in: the latest
  :class:`~huikuan.accounts.models.BucketHistory` row dated *before* the payment day (the last
  close before it; that day's own close may already reflect the payment's cure). Before the
  first history row, that row's ``from_bucket``; with no history at all, the account's bucket;
* the **plan** it was paid under: the case's latest plan that had been agreed (status past
  ``proposed``) on or before the payment day and had not broken before it.

A plan's break date is the business date (Asia/Shanghai) of the case's first ``plan_broken``
transition on or after the plan was made, else ``terms["broken_on"]``; a plan marked broken
with neither has no known date and is left out of clawbacks.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, BucketHistory
from huikuan.cases.models import Assignment, Case, CaseTransition, Plan
from huikuan.core.commissions import StatementPeriod
from huikuan.payments.models import Payment

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

# Plan statuses under which receipts count as paid on the plan. "proposed", "rejected" and
# "escalated" plans were never agreed, so nothing was paid under them.
PLAN_PAYING_STATES = ("approved", "active", "agreed", "current", "broken", "completed")
PLAN_BROKEN_STATE = "broken"
PLAN_BROKEN_REASON = "plan_broken"


@dataclass(frozen=True, slots=True)
class Receipt:
    """One payment of the period with everything the statements need to place it."""

    payment_id: int
    reference: str
    received_on: date
    amount: int
    account_id: int
    account_no: str
    currency: str
    case_id: int | None
    creditor_id: int
    agent_id: int | None
    team_id: int | None
    agency_id: int | None
    bucket: str
    plan_id: int | None


@dataclass(frozen=True, slots=True)
class PlanBreak:
    plan_id: int
    case_id: int
    creditor_id: int
    broke_on: date


@dataclass(frozen=True, slots=True)
class _Holder:
    assigned_on: date
    ended_on: date | None
    agent_id: int | None
    team_id: int | None
    agency_id: int | None


@dataclass(frozen=True, slots=True)
class _PlanSpan:
    plan_id: int
    account_id: int | None
    created_on: date
    broke_on: date | None


def business_date(moment: datetime) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=BUSINESS_TZ)
    return aware.astimezone(BUSINESS_TZ).date()


def _period_payments(period: StatementPeriod) -> Select[int]:
    return select(Payment.account_id).where(
        Payment.received_on >= period.first, Payment.received_on <= period.last
    )


def _period_cases(period: StatementPeriod) -> Select[int | None]:
    return select(Account.case_id).where(Account.id.in_(_period_payments(period)))


def plan_breaks(session: Session, case_ids: Select[int | None] | None) -> dict[int, date]:
    """Break date of every broken plan (of the given cases, or of all) whose date is known."""
    plans = select(Plan.id, Plan.case_id, Plan.created_on, Plan.terms).where(
        Plan.status == PLAN_BROKEN_STATE
    )
    moves = select(CaseTransition.case_id, CaseTransition.at).where(
        CaseTransition.reason == PLAN_BROKEN_REASON
    )
    if case_ids is not None:
        plans = plans.where(Plan.case_id.in_(case_ids))
        moves = moves.where(CaseTransition.case_id.in_(case_ids))
    broken_days: dict[int, list[date]] = defaultdict(list)
    for case_id, at in session.execute(moves):
        broken_days[case_id].append(business_date(at))
    result: dict[int, date] = {}
    for plan_id, case_id, created_on, terms in session.execute(plans):
        days = sorted(day for day in broken_days.get(case_id, []) if day >= created_on)
        if days:
            result[plan_id] = days[0]
        elif isinstance(terms, dict) and isinstance(terms.get("broken_on"), str):
            result[plan_id] = date.fromisoformat(str(terms["broken_on"]))
    return result


def breaks_in(session: Session, period: StatementPeriod) -> list[PlanBreak]:
    """Plans that broke within ``period`` (their clawbacks belong to it)."""
    breaks = plan_breaks(session, None)
    inside = {plan_id: day for plan_id, day in breaks.items() if day in period}
    if not inside:
        return []
    rows = session.execute(
        select(Plan.id, Plan.case_id, Case.creditor_id)
        .join(Case, Case.id == Plan.case_id)
        .where(Plan.id.in_(list(inside)))
    ).all()
    return sorted(
        (
            PlanBreak(plan_id, case_id, creditor_id, inside[plan_id])
            for plan_id, case_id, creditor_id in rows
        ),
        key=lambda b: b.plan_id,
    )


def _holder_on(holders: list[_Holder], day: date) -> _Holder | None:
    chosen = None
    for holder in holders:  # ascending by assigned_on, id: the last one covering the day wins
        if holder.assigned_on <= day and (holder.ended_on is None or day < holder.ended_on):
            chosen = holder
    return chosen


def _bucket_on(
    history: list[tuple[date, str | None, str]], dates: list[date], day: date, current: str
) -> str:
    index = bisect.bisect_left(dates, day)  # rows strictly before ``day``
    if index > 0:
        return history[index - 1][2]
    if history:
        return history[0][1] or history[0][2]
    return current


def _plan_on(spans: Iterable[_PlanSpan], account_id: int, day: date) -> int | None:
    chosen: _PlanSpan | None = None
    for span in spans:
        if span.account_id not in (None, account_id) or span.created_on > day:
            continue
        if span.broke_on is not None and day > span.broke_on:
            continue
        if chosen is None or (span.created_on, span.plan_id) > (chosen.created_on, chosen.plan_id):
            chosen = span
    return None if chosen is None else chosen.plan_id


def receipts_in(session: Session, period: StatementPeriod) -> list[Receipt]:
    """Every payment received in ``period``, placed (see the module docstring)."""
    cases = _period_cases(period)
    holders: dict[int, list[_Holder]] = defaultdict(list)
    for held_row in session.execute(
        select(
            Assignment.case_id,
            Assignment.assigned_on,
            Assignment.ended_on,
            Assignment.agent_id,
            Assignment.team_id,
            Assignment.agency_id,
        )
        .where(Assignment.case_id.in_(cases))
        .order_by(Assignment.case_id, Assignment.assigned_on, Assignment.id)
    ):
        holders[held_row[0]].append(_Holder(*held_row[1:]))
    current = {
        row[0]: _Holder(date.min, None, row[1], row[2], row[3])
        for row in session.execute(
            select(Case.id, Case.agent_id, Case.team_id, Case.agency_id).where(Case.id.in_(cases))
        )
    }
    history: dict[int, list[tuple[date, str | None, str]]] = defaultdict(list)
    for history_account, history_day, from_bucket, to_bucket in session.execute(
        select(
            BucketHistory.account_id,
            BucketHistory.business_date,
            BucketHistory.from_bucket,
            BucketHistory.to_bucket,
        )
        .where(
            BucketHistory.account_id.in_(_period_payments(period)),
            BucketHistory.business_date <= period.last,
        )
        .order_by(BucketHistory.account_id, BucketHistory.business_date, BucketHistory.id)
    ):
        history[history_account].append((history_day, from_bucket, to_bucket))
    breaks = plan_breaks(session, cases)
    plans: dict[int, list[_PlanSpan]] = defaultdict(list)
    for plan in session.execute(
        select(Plan.id, Plan.case_id, Plan.account_id, Plan.created_on).where(
            Plan.case_id.in_(cases), Plan.status.in_(PLAN_PAYING_STATES)
        )
    ):
        plans[plan.case_id].append(
            _PlanSpan(plan.id, plan.account_id, plan.created_on, breaks.get(plan.id))
        )

    receipts = []
    for (
        payment_id,
        reference,
        day,
        amount,
        account_id,
        account_no,
        currency,
        case_id,
        creditor_id,
        bucket_now,
    ) in session.execute(
        select(
            Payment.id,
            Payment.reference,
            Payment.received_on,
            Payment.amount,
            Account.id,
            Account.account_no,
            Account.currency,
            Account.case_id,
            Account.creditor_id,
            Account.bucket,
        )
        .join(Account, Account.id == Payment.account_id)
        .where(Payment.received_on >= period.first, Payment.received_on <= period.last)
        .order_by(Payment.received_on, Payment.id)
    ):
        if amount <= 0:
            continue  # reversals are not recoveries; they never earn or cost a commission here
        holder = None
        if case_id is not None:
            held = holders.get(case_id)
            # The case's current holder stands in only where no 分案 history was ever written.
            holder = _holder_on(held, day) if held else current.get(case_id)
        rows = history.get(account_id, [])
        receipts.append(
            Receipt(
                payment_id=payment_id,
                reference=reference,
                received_on=day,
                amount=amount,
                account_id=account_id,
                account_no=account_no,
                currency=currency,
                case_id=case_id,
                creditor_id=creditor_id,
                agent_id=None if holder is None else holder.agent_id,
                team_id=None if holder is None else holder.team_id,
                agency_id=None if holder is None else holder.agency_id,
                bucket=_bucket_on(rows, [r[0] for r in rows], day, bucket_now),
                plan_id=None
                if case_id is None
                else _plan_on(plans.get(case_id, []), account_id, day),
            )
        )
    return receipts
