"""Loading the KPI engine's frames from the database, and the report over a period.

Data flow: :func:`load_frames` runs one SELECT per table (accounts with balances, cases, bucket
history up to the period end, payments from the period start, contact attempts, stopped
strategy actions, promises, complaints, legal matters, closed call tasks, users, each account's
arm, the satisfaction surveys sent or answered in the period, the 分案 history, and the balance
snapshots of the days the period needs — the day before it and each month end inside it — where
they exist) and turns the rows into the layouts of :mod:`huikuan.kpis.frames`; instants become
business days in ``zone``. :func:`kpi_report` hands them to
:func:`huikuan.kpis.engine.compute_all`, adds the champion/challenger comparison of the cure
rate (:mod:`huikuan.kpis.experiments`) and ``balance_basis``: per day, whether the past balances
came from a snapshot or were rebuilt (approximate).

Derived on the way in: an account's ``settled_on`` is the day of its last payment (or its
``accrued_through`` day when settled without one); its arm is the one recorded on its latest
strategy action, or, for an account the strategy never acted on (a hold-out, say), the arm
:func:`huikuan.strategy.planning.assign_arms` gives it under ``strategy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, BucketHistory
from huikuan.accounts.service import load_policies
from huikuan.calls.models import CallTask, CallTaskStatus
from huikuan.cases.models import Case, Promise
from huikuan.compliance.models import ContactAttempt
from huikuan.cycle.models import StrategyAction
from huikuan.kpis import frames as kf
from huikuan.kpis.engine import (
    DEFAULT_SHIFT_HOURS,
    STOPPED,
    Holders,
    account_dims,
    balance_basis,
    check_slices,
    compute_all,
    cure_rate,
    month_steps,
    positions,
    severity_table,
)
from huikuan.kpis.experiments import compare_arms, experiment_frames
from huikuan.kpis.snapshots import load_assignments_frame, load_snapshots
from huikuan.kpis.survey import surveys_frame_rows
from huikuan.legal.models import LegalMatter
from huikuan.org.models import User
from huikuan.payments.models import Payment
from huikuan.quality.models import Complaint
from huikuan.strategy.document import Strategy, default_strategy
from huikuan.strategy.planning import assign_arms

BUSINESS_ZONE = "Asia/Shanghai"


def _day(at: datetime | None, zone: ZoneInfo) -> date | None:
    """The business day of a stored instant (SQLite hands back naive UTC)."""
    if at is None:
        return None
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def _window(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants bracketing the business days ``start`` … ``end`` in ``zone``."""
    low = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return low, high


def _rule_ids(reasons: object) -> list[str]:
    if not isinstance(reasons, list):
        return []
    return [str(r["rule_id"]) for r in reasons if isinstance(r, dict) and "rule_id" in r]


def load_accounts_frame(session: Session) -> pl.DataFrame:
    last_paid = (
        select(Payment.account_id, func.max(Payment.received_on).label("last_paid"))
        .group_by(Payment.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Account.id,
            Account.case_id,
            Account.creditor_id,
            Account.product_code,
            Account.placement_id,
            Account.placed_on,
            Account.principal + Account.interest + Account.penalty + Account.fee,
            Account.status,
            last_paid.c.last_paid,
            Account.accrued_through,
        )
        .outerjoin(last_paid, last_paid.c.account_id == Account.id)
        .order_by(Account.id)
    ).all()
    return kf.frame(
        [(*row[:7], (row[8] or row[9]) if row[7] == "settled" else None) for row in rows],
        kf.ACCOUNTS,
    )


def load_cases_frame(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(
            Case.id,
            Case.creditor_id,
            Case.placement_id,
            Case.agency_id,
            Case.team_id,
            Case.agent_id,
            Case.state,
            Case.opened_on,
            Case.closed_on,
        ).order_by(Case.id)
    ).all()
    return kf.frame([tuple(row) for row in rows], kf.CASES)


def load_arms(session: Session, account_ids: pl.Series, strategy: Strategy) -> pl.DataFrame:
    latest = (
        select(func.max(StrategyAction.id))
        .where(StrategyAction.strategy_code == strategy.code)
        .group_by(StrategyAction.account_id)
    )
    rows = session.execute(
        select(StrategyAction.account_id, StrategyAction.arm).where(StrategyAction.id.in_(latest))
    ).all()
    recorded = kf.frame([tuple(row) for row in rows], kf.ARMS)
    missing = account_ids.filter(~account_ids.is_in(recorded.get_column("account_id").implode()))
    assigned = assign_arms(missing, strategy).select("account_id", "arm")
    return pl.concat([recorded, assigned]).sort("account_id")


def load_frames(
    session: Session,
    start: date,
    end: date,
    *,
    strategy: Strategy | None = None,
    zone: str = BUSINESS_ZONE,
) -> kf.KpiFrames:
    """Everything :func:`~huikuan.kpis.engine.compute_all` reads for ``[start, end]``."""
    tz = ZoneInfo(zone)
    low, high = _window(start, end, tz)
    accounts = load_accounts_frame(session)
    history = session.execute(
        select(BucketHistory.account_id, BucketHistory.business_date, BucketHistory.to_bucket)
        .where(BucketHistory.business_date <= end)
        .order_by(BucketHistory.id)
    ).all()
    payments = session.execute(
        select(Payment.account_id, Payment.received_on, Payment.amount).where(
            Payment.received_on >= start
        )
    ).all()
    user_ids = {name: uid for uid, name in session.execute(select(User.id, User.username))}
    attempts = [
        (
            row.case_id,
            _day(row.at, tz),
            row.channel,
            row.party,
            row.outcome,
            row.executed,
            row.decision,
            _rule_ids(row.reasons),
            user_ids.get(row.actor),
        )
        for row in session.execute(
            select(
                ContactAttempt.case_id,
                ContactAttempt.at,
                ContactAttempt.channel,
                ContactAttempt.party,
                ContactAttempt.outcome,
                ContactAttempt.executed,
                ContactAttempt.decision,
                ContactAttempt.reasons,
                ContactAttempt.actor,
            ).where(ContactAttempt.at >= low, ContactAttempt.at < high)
        )
    ]
    stopped = session.execute(
        select(
            StrategyAction.case_id,
            StrategyAction.as_of,
            StrategyAction.status,
            StrategyAction.rule_ids,
        ).where(
            StrategyAction.status.in_(STOPPED),
            StrategyAction.contact_attempt_id.is_(None),
            StrategyAction.case_id.is_not(None),
            StrategyAction.as_of.between(start, end),
        )
    ).all()
    promises = session.execute(
        select(
            Promise.case_id, Promise.created_on, Promise.promised_on, Promise.status, Promise.amount
        )
    ).all()
    complaints = session.execute(
        select(Complaint.case_id, Complaint.received_at).where(
            Complaint.received_at >= low, Complaint.received_at < high
        )
    ).all()
    legal = session.execute(
        select(LegalMatter.case_id, LegalMatter.referred_at, LegalMatter.filed_at).where(
            LegalMatter.filed_at >= low, LegalMatter.filed_at < high
        )
    ).all()
    tasks = session.execute(
        select(CallTask.agent_id, CallTask.closed_at).where(
            CallTask.status == CallTaskStatus.DONE.value,
            CallTask.agent_id.is_not(None),
            CallTask.closed_at >= low,
            CallTask.closed_at < high,
        )
    ).all()
    staff = session.execute(select(User.id, User.team_id, User.agency_id)).all()
    arms = load_arms(session, accounts.get_column("account_id"), strategy or default_strategy())
    return kf.KpiFrames(
        accounts=accounts,
        cases=load_cases_frame(session),
        history=kf.frame([tuple(row) for row in history], kf.HISTORY),
        payments=kf.frame([tuple(row) for row in payments], kf.PAYMENTS),
        attempts=kf.frame(attempts, kf.ATTEMPTS),
        stopped_actions=kf.frame(
            [(r[0], r[1], r[2], [str(x) for x in r[3] or []]) for r in stopped], kf.STOPPED_ACTIONS
        ),
        promises=kf.frame([tuple(row) for row in promises], kf.PROMISES),
        complaints=kf.frame([(r[0], _day(r[1], tz)) for r in complaints], kf.COMPLAINTS),
        legal=kf.frame([(r[0], _day(r[1], tz), _day(r[2], tz)) for r in legal], kf.LEGAL),
        activity=kf.frame([(r[0], _day(r[1], tz)) for r in tasks], kf.ACTIVITY),
        staff=kf.frame([tuple(row) for row in staff], kf.STAFF),
        arms=arms,
        severity=severity_frame(session),
        surveys=kf.frame(surveys_frame_rows(session, start, end, tz), kf.SURVEYS),
        assignments=load_assignments_frame(session),
        snapshots=load_snapshots(session, month_steps(start, end)[:-1]),
    )


def severity_frame(session: Session) -> pl.DataFrame:
    return severity_table(load_policies(session))


def kpi_report(
    session: Session,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    strategy: Strategy | None = None,
    zone: str = BUSINESS_ZONE,
    shift_hours: int = DEFAULT_SHIFT_HOURS,
) -> dict[str, pl.DataFrame]:
    """Every KPI for ``[start, end]`` sliced by ``by``, plus ``experiment_arms`` and
    ``experiment_lifts``: the cure rate per strategy arm with Wilson intervals, and each lift
    (challenger − champion, champion − hold-out) with its Newcombe interval and ``significant``;
    and ``balance_basis`` (:func:`~huikuan.kpis.engine.balance_basis`): where the past balances
    came from, ``rebuilt`` rows marking figures that are approximate.
    """
    check_slices(by)
    if end < start:
        raise ValueError("the period ends before it starts")
    frames = load_frames(session, start, end, strategy=strategy, zone=zone)
    report = compute_all(frames, start, end, by, shift_hours=shift_hours)
    positioned = positions(
        frames.accounts,
        frames.history,
        frames.payments,
        frames.severity,
        start,
        end,
        frames.snapshots,
    )
    dims = account_dims(frames.accounts, frames.cases, positioned, frames.arms)
    cured = cure_rate(positioned, dims, ["arm"], holders=Holders.of(frames))
    arms, lifts = experiment_frames(compare_arms(cured))
    report["experiment_arms"] = arms
    report["experiment_lifts"] = lifts
    report["balance_basis"] = balance_basis(frames, start, end)
    return report
