"""``run_day``: the named, timed stages of one business day over the database portfolio.

Stages, each in its own transaction and timed: ingest, nightly, plans, allocate,
outsourcing_notice, plan (the strategy's actions), surveys (the post-contact satisfaction
surveys of :mod:`huikuan.kpis.survey`: after the strategy's messages, so a survey never takes
a collection message's place under the caps), worklist, and on the last day of a month
snapshot (every account's balances, bucket and holder at the close of the day, for exact
historical KPIs and reports: :mod:`huikuan.kpis.snapshots`; last, so it records the day's
allocation too). A month end closed inside a multi-day catch-up (``as_of`` past it) gets no
snapshot: the balances of that day are gone by then, and the KPIs say they are rebuilt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from huikuan.access.policy import Principal
from huikuan.assignment.engine import AllocationRules
from huikuan.assignment.service import allocate_cases
from huikuan.cases.plan_watch import watch_plans
from huikuan.cases.worklist import refresh_worklist
from huikuan.cycle.models import DayCycle
from huikuan.cycle.planning import plan_day, plan_outsourcing_notices
from huikuan.cycle.templates import StoredTexts, ensure_default_templates
from huikuan.db.engine import transaction
from huikuan.kpis.snapshots import take_snapshot
from huikuan.kpis.survey import plan_surveys
from huikuan.nightly.service import close_through
from huikuan.org.models import Role
from huikuan.payments.models import Payment
from huikuan.settings import get_settings
from huikuan.strategy.document import Strategy

SYSTEM = Principal(username="system", user_id=0, role=Role.ADMIN)
SEND_HOUR = clock_time(10, 0)  # automatic messages go out at 10:00 local time
MESSAGE_CHANNELS = {"sms": "mobile", "email": "email"}


@dataclass
class DayCycleReport:
    business_date: date
    already_ran: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)
    payments: int = 0
    accrued: int = 0
    bucket_changes: int = 0
    allocation_changes: int = 0
    planned: int = 0
    sent: int = 0  # staged in the outbox for the worker
    deferred: int = 0
    blocked: int = 0
    call_tasks: int = 0
    letters: int = 0
    legal_referrals: int = 0
    no_contact_point: int = 0
    outsourcing_notices: int = 0
    rescheduled: int = 0
    plans_broken: int = 0
    plans_completed: int = 0
    surveys_sent: int = 0
    snapshot_accounts: int = 0  # accounts in the month-end balance snapshot (0: not a month end)
    top_reasons: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "business_date": self.business_date.isoformat(),
            "already_ran": self.already_ran,
            "stage_seconds": self.stage_seconds,
            "payments": self.payments,
            "accrued": self.accrued,
            "bucket_changes": self.bucket_changes,
            "allocation_changes": self.allocation_changes,
            "planned": self.planned,
            "sent": self.sent,
            "deferred": self.deferred,
            "blocked": self.blocked,
            "call_tasks": self.call_tasks,
            "letters": self.letters,
            "legal_referrals": self.legal_referrals,
            "no_contact_point": self.no_contact_point,
            "outsourcing_notices": self.outsourcing_notices,
            "rescheduled": self.rescheduled,
            "plans_broken": self.plans_broken,
            "plans_completed": self.plans_completed,
            "surveys_sent": self.surveys_sent,
            "snapshot_accounts": self.snapshot_accounts,
            "top_reasons": self.top_reasons,
        }


def _stored(cycle: DayCycle) -> DayCycleReport:
    summary = dict(cycle.summary)
    report = DayCycleReport(business_date=cycle.business_date, already_ran=True)
    for name in report.as_json():
        if name in summary and name not in ("business_date", "already_ran"):
            setattr(report, name, summary[name])
    return report


def run_day(
    engine: Engine,
    as_of: date,
    *,
    strategy: Strategy,
    rules: AllocationRules,
    send_zone: str = "Asia/Shanghai",
    demo_letters: bool = False,
    survey_base_url: str | None = None,
) -> DayCycleReport:
    """Run the day once; a second call for the same date returns the stored figures.

    ``demo_letters``: letters are demo specimens (marked 样本 / SPECIMEN), and lawyer letters
    use the specimen law firm; never set it for a real portfolio. ``survey_base_url``: the
    public address of the web app, the start of each survey link (the setting when None).
    """
    with transaction(engine) as session:
        stored = session.get(DayCycle, as_of)
        if stored is not None:
            return _stored(stored)
        ensure_default_templates(session, datetime.combine(as_of, clock_time(0), tzinfo=UTC))
    report = DayCycleReport(business_date=as_of)

    def timed(name: str, started: float) -> None:
        report.stage_seconds[name] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    with transaction(engine) as session:
        report.payments = int(
            session.scalar(
                select(func.count()).where(
                    Payment.posted_on.is_(None), Payment.received_on <= as_of
                )
            )
            or 0
        )
    timed("ingest", started)

    started = time.perf_counter()
    closed = close_through(engine, as_of)
    today = closed.days[-1]
    report.accrued, report.bucket_changes = today.accrued, today.bucket_changes
    timed("nightly", started)

    started = time.perf_counter()
    with transaction(engine) as session:
        watched = watch_plans(session, as_of, at=datetime.combine(as_of, SEND_HOUR, tzinfo=UTC))
    report.plans_broken, report.plans_completed = watched.broken, watched.completed
    timed("plans", started)

    started = time.perf_counter()
    at = datetime.combine(as_of, SEND_HOUR, tzinfo=ZoneInfo(send_zone))
    allocation = allocate_cases(engine, rules, as_of=as_of, actor="system", at=at.astimezone(UTC))
    report.allocation_changes = allocation.changed
    timed("allocate", started)

    started = time.perf_counter()
    report.outsourcing_notices = _outsourcing_notices(engine, as_of, at)
    timed("outsourcing_notice", started)

    started = time.perf_counter()
    _plan(engine, report, strategy, as_of, at, demo_letters)
    timed("plan", started)

    started = time.perf_counter()
    with transaction(engine) as session:
        surveys = plan_surveys(
            session,
            as_of,
            at.astimezone(UTC),
            base_url=survey_base_url or get_settings().public_base_url,
        )
    report.surveys_sent = surveys.sent
    timed("surveys", started)

    started = time.perf_counter()
    with transaction(engine) as session:
        refresh_worklist(session, as_of)
    timed("worklist", started)

    if is_month_end(as_of):
        started = time.perf_counter()
        with transaction(engine) as session:
            report.snapshot_accounts = take_snapshot(session, as_of, source="cycle").accounts
        timed("snapshot", started)

    with transaction(engine) as session:
        session.add(
            DayCycle(
                business_date=as_of,
                strategy=f"{strategy.code}@{strategy.version}",
                summary=report.as_json(),
            )
        )
    return report


def is_month_end(day: date) -> bool:
    """The last day of its month (the snapshot stage runs then).

    >>> is_month_end(date(2026, 2, 28)), is_month_end(date(2028, 2, 28))
    (True, False)
    """
    return (day + timedelta(days=1)).month != day.month


NOTICE_HOUR = clock_time(9, 0)


def _outsourcing_notices(engine: Engine, as_of: date, at: datetime) -> int:
    notice_at = datetime.combine(as_of, NOTICE_HOUR, tzinfo=at.tzinfo)
    with transaction(engine) as session:
        return plan_outsourcing_notices(session, as_of, notice_at, StoredTexts(session))


def _plan(
    engine: Engine,
    report: DayCycleReport,
    strategy: Strategy,
    as_of: date,
    at: datetime,
    demo: bool,
) -> None:
    with transaction(engine) as session:
        counts = plan_day(session, strategy, as_of, at, StoredTexts(session), demo_letters=demo)
    report.planned = counts.planned
    report.sent = counts.sent
    report.deferred = counts.deferred
    report.blocked = counts.blocked
    report.call_tasks = counts.call_tasks
    report.letters = counts.letters
    report.legal_referrals = counts.legal_referrals
    report.no_contact_point = counts.no_contact_point
    report.rescheduled = counts.rescheduled
    report.top_reasons = dict(counts.reasons.most_common(5))
