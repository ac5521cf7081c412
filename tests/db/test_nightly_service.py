"""The nightly run against SQLite and PostgreSQL: schema, exactly-once days, all-or-nothing."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from huikuan.accounts.models import Account, BucketHistory
from huikuan.accounts.service import bucket_summary, load_accounts
from huikuan.db.engine import transaction
from huikuan.db.migrate import current_revision, head_revision, upgrade
from huikuan.db.registry import metadata
from huikuan.demo.service import DemoExistsError, load_demo
from huikuan.demo.synthetic import generate_portfolio
from huikuan.nightly.models import NightlyRun
from huikuan.nightly.pipeline import OutOfOrderDayError, close_days
from huikuan.nightly.service import close_through
from huikuan.payments.models import Payment


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    assert upgrade(engine) == head_revision(engine) == current_revision(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def snapshot(engine: Engine) -> tuple[object, ...]:
    with transaction(engine) as session:
        accounts = load_accounts(session).sort("account_id").rows()
        history = session.scalar(select(func.count()).select_from(BucketHistory))
        runs = (
            session.execute(select(NightlyRun).order_by(NightlyRun.business_date)).scalars().all()
        )
        totals = [(r.business_date, r.received, r.interest, r.penalty, r.fee) for r in runs]
        unposted = session.scalar(select(func.count()).where(Payment.posted_on.is_(None)))
    return accounts, history, totals, unposted


def test_demo_days_close_once_and_a_second_run_changes_nothing(engine: Engine) -> None:
    result = load_demo(engine, accounts=400, as_of=date(2026, 11, 20), days=5, seed=3)
    assert [c.days[0].business_date for c in result.closes] == [
        date(2026, 11, d) for d in range(16, 21)
    ]
    before = snapshot(engine)
    again = close_through(engine, date(2026, 11, 20))
    assert again.already_closed
    assert again.days[0] == result.closes[-1].days[0]
    assert snapshot(engine) == before
    with pytest.raises(OutOfOrderDayError):
        close_through(engine, date(2026, 11, 10))
    with transaction(engine) as session:
        rows = bucket_summary(session)
        open_accounts = session.scalar(select(func.count()).where(Account.status == "open"))
    assert sum(r.accounts for r in rows) == open_accounts
    assert all(r.balance > 0 for r in rows)
    with pytest.raises(DemoExistsError):
        load_demo(engine, accounts=10, as_of=date(2026, 11, 20), days=0)


def test_same_demo_on_both_databases_gives_the_same_ledger(
    engine: Engine, tmp_path: object
) -> None:
    load_demo(engine, accounts=300, as_of=date(2026, 11, 20), days=4, seed=9)
    accounts, history, totals, unposted = snapshot(engine)
    assert unposted == 0
    assert len(totals) == 4
    assert history > 0
    portfolio = generate_portfolio(300, date(2026, 11, 16), seed=9)
    direct = close_days(
        portfolio.accounts,
        list(portfolio.policies),
        date(2026, 11, 20),
        pauses=portfolio.pauses.drop("reason"),
        payments_for=portfolio.payments_for,
    )
    expected = direct.accounts.sort("account_id").drop("bucket", "debtor_id")
    stored = [row[:17] for row in accounts]
    assert stored == expected.rows()
    assert [t[1:] for t in totals] == [
        (d.totals.received, d.totals.interest, d.totals.penalty, d.totals.fee) for d in direct.days
    ]


def test_a_run_that_dies_midway_leaves_the_database_as_it_was(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(engine, accounts=200, as_of=date(2026, 11, 18), days=2, seed=5)
    with transaction(engine) as session:
        session.add(
            Payment(
                account_id=1,
                received_on=date(2026, 11, 19),
                amount=10_000,
                channel="alipay",
                reference="T-1",
            )
        )
    before = snapshot(engine)

    import huikuan.nightly.service as service

    def dies(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("power cut while writing bucket history")

    monkeypatch.setattr(service, "record_bucket_history", dies)
    with pytest.raises(RuntimeError, match="power cut"):
        close_through(engine, date(2026, 11, 19))
    assert snapshot(engine) == before
    monkeypatch.undo()
    report = close_through(engine, date(2026, 11, 19))
    assert report.days[0].received == 10_000
    assert snapshot(engine)[3] == 0  # the receipt is now posted, once
