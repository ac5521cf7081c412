"""The nightly run against SQLite and PostgreSQL: schema, exactly-once days, all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select

from huikuan.accounts.models import Account, BucketHistory
from huikuan.accounts.service import bucket_summary, load_accounts, load_policies
from huikuan.db.engine import transaction
from huikuan.db.migrate import current_revision, downgrade, head_revision, upgrade
from huikuan.db.registry import metadata
from huikuan.demo.service import DemoExistsError, DemoResult, load_demo
from huikuan.nightly.frames import payments_frame
from huikuan.nightly.models import NightlyRun
from huikuan.nightly.pipeline import OutOfOrderDayError, close_days
from huikuan.nightly.service import close_through
from huikuan.org.models import Creditor
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher


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


def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path, **kwargs: Any) -> DemoResult:
    return load_demo(engine, cipher=cipher, work_dir=tmp_path / "demo", **kwargs)


def test_demo_days_close_once_and_a_second_run_changes_nothing(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    result = demo(engine, cipher, tmp_path, accounts=400, as_of=date(2026, 11, 20), days=5, seed=3)
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
        demo(engine, cipher, tmp_path, accounts=10, as_of=date(2026, 11, 20), days=0)


def test_the_stored_ledger_equals_the_pipeline_run_directly(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    demo(engine, cipher, tmp_path, accounts=300, as_of=date(2026, 11, 16), days=1, seed=9)
    with transaction(engine) as session:
        opening = load_accounts(session)
        policies = load_policies(session)
    payments = {
        date(2026, 11, 17): [(1, 50_000), (2, 120_000), (2, 1_000)],
        date(2026, 11, 19): [(3, 99_999_999)],
    }
    with transaction(engine) as session:
        for day, items in payments.items():
            for number, (account_id, amount) in enumerate(items):
                session.add(
                    Payment(
                        account_id=account_id,
                        received_on=day,
                        amount=amount,
                        channel="alipay",
                        reference=f"T-{day}-{number}",
                    )
                )
    close_through(engine, date(2026, 11, 20))
    accounts, _history, totals, unposted = snapshot(engine)
    assert unposted == 0
    assert len(totals) == 5
    direct = close_days(
        opening,
        list(policies),
        date(2026, 11, 20),
        payments_for=lambda day: payments_frame([(a, m) for a, m in payments.get(day, [])]),
    )
    expected = direct.accounts.sort("account_id").drop("bucket", "debtor_id")
    stored = [row[:17] for row in accounts]
    assert stored == expected.rows()
    assert [t[1:] for t in totals[1:]] == [
        (d.totals.received, d.totals.interest, d.totals.penalty, d.totals.fee) for d in direct.days
    ]
    assert totals[1][1] == 171_000  # the 17th: three receipts, posted that day


def test_a_run_that_dies_midway_leaves_the_database_as_it_was(
    engine: Engine, cipher: FieldCipher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo(engine, cipher, tmp_path, accounts=200, as_of=date(2026, 11, 18), days=2, seed=5)
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


def test_a_database_with_data_upgrades_from_the_first_schema_and_migrates_down(
    engine: Engine,
) -> None:
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO creditors (id, code, name) VALUES (1, 'OLD', 'old creditor')"
        )
        connection.exec_driver_sql(
            "INSERT INTO products (id, creditor_id, code, name, policy_code, policy_version,"
            " policy) VALUES (1, 1, 'CL', 'loan', 'CL', 1, '{}')"
        )
        connection.exec_driver_sql("INSERT INTO debtors (id, debtor_no) VALUES (1, 'D1')")
        connection.exec_driver_sql(
            "INSERT INTO accounts (id, account_no, creditor_id, product_id, product_code,"
            " debtor_id, currency, status, principal, interest, penalty, fee, credit, first_due,"
            " instalment,"
            " cycles, paid_to_schedule, accrued_through, charge_start, cap_base, charged_total,"
            " dpd, bucket, placed_on) VALUES (1, 'A1', 1, 1, 'CL', 1, 'CNY', 'open', 100000, 0, 0,"
            " 0, 0, '2026-01-01', 10000, 12, 0, '2026-03-01', '2026-03-01', 100000, 0, 59, 'M2',"
            " '2026-03-01')"
        )
    assert upgrade(engine) == head_revision(engine)
    with transaction(engine) as session:
        account = session.get(Account, 1)
        assert account is not None
        assert account.principal == 100_000
        assert account.case_id is None
        creditor_jurisdiction = session.execute(
            select(Creditor.jurisdiction).where(Creditor.id == 1)
        ).scalar_one()
        assert creditor_jurisdiction == "CN"
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM accounts")
        connection.exec_driver_sql("DELETE FROM debtors")
    assert downgrade(engine, "base") is None
    assert upgrade(engine) == head_revision(engine)
