"""Closing business days against the database: exactly once per date, all or nothing.

``close_through(engine, D)`` loads the portfolio as of the last closed day, runs the pipeline
for every day up to ``D`` with the receipts that arrived, and writes accounts, bucket history,
the posted flag on receipts and one ``nightly_runs`` row per day in a single transaction. A day
that is already closed is never run again: asking for it returns the stored totals, so running
a date twice gives the same result and changes nothing. A process that dies mid-way leaves the
database as it was.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from huikuan.accounts.service import (
    load_accounts,
    load_pauses,
    load_policies,
    record_bucket_history,
    save_accounts,
)
from huikuan.db.engine import transaction
from huikuan.nightly.frames import PAYMENT_SCHEMA
from huikuan.nightly.models import NightlyRun
from huikuan.nightly.pipeline import OutOfOrderDayError, StageClock, close_days, last_closed_day
from huikuan.payments.models import Payment


@dataclass(frozen=True, slots=True)
class DayReport:
    business_date: date
    accounts: int
    open_accounts: int
    received: int
    interest: int
    penalty: int
    fee: int
    bucket_changes: int
    seconds: float

    @property
    def accrued(self) -> int:
        return self.interest + self.penalty + self.fee


@dataclass(frozen=True, slots=True)
class CloseReport:
    through: date
    already_closed: bool
    days: tuple[DayReport, ...]
    stage_seconds: dict[str, float]


def _day_report(run: NightlyRun) -> DayReport:
    return DayReport(
        run.business_date,
        run.accounts,
        run.open_accounts,
        run.received,
        run.interest,
        run.penalty,
        run.fee,
        run.bucket_changes,
        run.seconds,
    )


def last_closed(session: Session) -> date | None:
    return session.scalar(select(func.max(NightlyRun.business_date)))


def get_day(session: Session, business_date: date) -> DayReport | None:
    run = session.get(NightlyRun, business_date)
    return None if run is None else _day_report(run)


def close_through(engine: Engine, through: date) -> CloseReport:
    """Close every business day after the last closed one, through ``through``."""
    with transaction(engine) as session:
        stored = get_day(session, through)
        if stored is not None:
            return CloseReport(through, True, (stored,), {})
        accounts = load_accounts(session)
        if accounts.height == 0:
            raise OutOfOrderDayError("there are no accounts to close a day for")
        start = last_closed_day(accounts)
        if through <= start:
            raise OutOfOrderDayError(
                f"the portfolio starts after {through} (accrued through {start}); "
                "a day before that cannot be closed"
            )
        receipts = _receipts_by_day(session, start, through)
        clock = StageClock()
        result = close_days(
            accounts,
            load_policies(session),
            through,
            pauses=load_pauses(session),
            payments_for=lambda day: receipts.get(day, _NO_PAYMENTS),
            clock=clock,
        )
        save_accounts(session, result.accounts)
        record_bucket_history(session, result.bucket_changes)
        changes_per_day = dict(result.bucket_changes.group_by("business_date").len().iter_rows())
        open_count = result.accounts.filter(pl.col("status") == "open").height
        seconds = sum(clock.seconds.values()) / max(1, len(result.days))
        reports = []
        for closed in result.days:
            run = NightlyRun(
                business_date=closed.business_date,
                accounts=result.accounts.height,
                open_accounts=open_count,
                received=closed.totals.received,
                interest=closed.totals.interest,
                penalty=closed.totals.penalty,
                fee=closed.totals.fee,
                bucket_changes=int(changes_per_day.get(closed.business_date, 0)),
                seconds=round(seconds, 4),
            )
            session.add(run)
            reports.append(_day_report(run))
        _mark_posted(session, start, through)
        return CloseReport(through, False, tuple(reports), dict(clock.seconds))


_NO_PAYMENTS = pl.DataFrame(schema=PAYMENT_SCHEMA)


def _posting_day(received_on: date, first_open_day: date) -> date:
    """Receipts dated on or before a closed day post on the first open day."""
    return max(received_on, first_open_day)


def _receipts_by_day(session: Session, start: date, through: date) -> dict[date, pl.DataFrame]:
    first_open_day = date.fromordinal(start.toordinal() + 1)
    grouped: dict[date, list[tuple[int, int]]] = defaultdict(list)
    rows = session.execute(
        select(Payment.account_id, Payment.amount, Payment.received_on)
        .where(Payment.posted_on.is_(None), Payment.received_on <= through)
        .order_by(Payment.id)
    )
    for account_id, amount, received_on in rows:
        grouped[_posting_day(received_on, first_open_day)].append((account_id, amount))
    return {
        day: pl.DataFrame(items, schema=PAYMENT_SCHEMA, orient="row")
        for day, items in grouped.items()
    }


def _mark_posted(session: Session, start: date, through: date) -> None:
    """Stamp each receipt with the business day it was posted on (see ``_posting_day``)."""
    first_open_day = date.fromordinal(start.toordinal() + 1)
    unposted = Payment.posted_on.is_(None)
    session.execute(
        update(Payment)
        .where(unposted, Payment.received_on < first_open_day)
        .values(posted_on=first_open_day)
    )
    session.execute(
        update(Payment)
        .where(unposted, Payment.received_on >= first_open_day, Payment.received_on <= through)
        .values(posted_on=Payment.received_on)
    )
