"""Balance snapshots on SQLite and PostgreSQL: written by the month-end cycle, once per date,
and read back by the KPI report and the overdue report after the balances have moved on.

The demo portfolio runs the cycle on 2026-11-29 and 2026-11-30 (a month end: the cycle takes
the snapshot), then on 2026-12-01, whose accrual changes today's balances after the snapshot.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from huikuan.accounts.models import Account
from huikuan.cycle.models import DayCycle
from huikuan.cycle.service import run_day
from huikuan.db.engine import transaction
from huikuan.demo.service import demo_rules, load_demo
from huikuan.kpis.cli import app
from huikuan.kpis.models import BalanceSnapshot, BalanceSnapshotDay
from huikuan.kpis.service import kpi_report
from huikuan.kpis.snapshots import SnapshotDateError, take_snapshot
from huikuan.reports.overdue import ALL, overdue_basis, overdue_report
from huikuan.security.crypto import FieldCipher
from huikuan.settings import get_settings
from huikuan.strategy.document import default_strategy

MONTH_END, NEXT = date(2026, 11, 30), date(2026, 12, 1)
OWED = Account.principal + Account.interest + Account.penalty + Account.fee
SNAP_OWED = (
    BalanceSnapshot.principal
    + BalanceSnapshot.interest
    + BalanceSnapshot.penalty
    + BalanceSnapshot.fee
)


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(engine, accounts=120, as_of=MONTH_END, days=2, cipher=cipher, work_dir=tmp_path)
    return engine


def _snapshot_rows(engine: Engine) -> list[tuple[object, ...]]:
    with transaction(engine) as session:
        return [
            tuple(row)
            for row in session.execute(
                select(BalanceSnapshot).order_by(
                    BalanceSnapshot.business_date, BalanceSnapshot.account_id
                )
            ).scalars()
            for row in [
                (
                    row.business_date,
                    row.account_id,
                    row.status,
                    row.principal,
                    row.interest,
                    row.penalty,
                    row.fee,
                    row.dpd,
                    row.bucket,
                    row.case_id,
                    row.agent_id,
                    row.team_id,
                    row.agency_id,
                )
            ]
        ]


def test_the_month_end_cycle_writes_the_snapshot_once(demo: Engine) -> None:
    with transaction(demo) as session:
        day = session.get(BalanceSnapshotDay, MONTH_END)
        assert day is not None
        assert day.source == "cycle"
        cycle = session.get(DayCycle, MONTH_END)
        assert cycle is not None
        assert cycle.summary["snapshot_accounts"] == day.accounts
        placed, owed = session.execute(
            select(func.count(), func.sum(OWED)).where(Account.placed_on <= MONTH_END)
        ).one()
        assert (day.accounts, day.total) == (placed, int(owed))
        # The holder in the snapshot is the case's holder that day (nobody re-assigned since).
        mismatched = session.scalar(
            select(func.count())
            .select_from(BalanceSnapshot)
            .join(Account, Account.id == BalanceSnapshot.account_id)
            .where(BalanceSnapshot.bucket != Account.bucket)
        )
        assert mismatched == 0
        # The day before had no snapshot (not a month end).
        assert session.get(BalanceSnapshotDay, date(2026, 11, 29)) is None
    before = _snapshot_rows(demo)
    assert len(before) == day.accounts
    assert any(row[10] is not None for row in before), "some cases have an agent"
    # A second run for the date writes nothing and changes nothing.
    with transaction(demo) as session:
        again = take_snapshot(session, MONTH_END, source="cli")
    assert not again.written
    assert (again.accounts, again.total, again.source) == (day.accounts, day.total, "cycle")
    assert _snapshot_rows(demo) == before
    # Another day's balances are not stored: its snapshot is refused.
    with transaction(demo) as session, pytest.raises(SnapshotDateError, match="2026-11-30"):
        take_snapshot(session, date(2026, 11, 29), source="cli")


def test_reports_read_the_snapshot_after_balances_move_on(demo: Engine) -> None:
    with transaction(demo) as session:
        snapshot_open = session.execute(
            select(func.count(), func.sum(SNAP_OWED)).where(
                BalanceSnapshot.business_date == MONTH_END, BalanceSnapshot.status == "open"
            )
        ).one()
    run_day(demo, NEXT, strategy=default_strategy(), rules=demo_rules())
    with transaction(demo) as session:
        now_open = session.execute(
            select(func.count(), func.sum(OWED)).where(
                Account.status == "open", Account.placed_on <= MONTH_END
            )
        ).one()
        assert int(now_open[1]) != int(snapshot_open[1]), "12-01 accrued interest"
        # The overdue report of the month end is the snapshot's, not today's, and says so.
        rows = overdue_report(session, MONTH_END)
        grand = rows.filter(rows["product_code"] == ALL)
        assert grand.select("accounts", "total").row(0) == (
            snapshot_open[0],
            int(snapshot_open[1]),
        )
        assert overdue_basis(session, MONTH_END).snapshot
        # The day before has no snapshot: today's balances, marked approximate.
        earlier = overdue_basis(session, date(2026, 11, 29))
        assert not earlier.snapshot
        assert "Approximate" in earlier.note
        # December 1: the opening balance is the 11-30 snapshot's, exactly.
        report = kpi_report(session, NEXT, NEXT)
        received = report["recovery_rate_amount"].row(0, named=True)
        base = session.scalar(
            select(func.sum(SNAP_OWED)).where(
                BalanceSnapshot.business_date == MONTH_END, SNAP_OWED > 0
            )
        )
        assert received["denominator"] == int(base)
        opening = report["balance_basis"].filter(report["balance_basis"]["use"] == "opening")
        assert opening.get_column("source").to_list() == ["snapshot"]
        # The same period a day later has no snapshot of 12-01: rebuilt, and said so.
        later = kpi_report(session, date(2026, 12, 2), date(2026, 12, 2))["balance_basis"]
        assert later.get_column("source").unique().to_list() == ["rebuilt"]


def flat(text: str) -> str:
    """Rich wraps long lines at the terminal width."""
    return " ".join(text.split())


def test_cli_snapshot(demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", demo.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        again = runner.invoke(app, ["snapshot", "--date", MONTH_END.isoformat()])
        assert again.exit_code == 0, again.output
        assert "already there, nothing written" in again.output
        refused = runner.invoke(app, ["snapshot", "--date", "2026-11-29"])
        assert refused.exit_code == 2
        assert "last closed business day" in flat(refused.output)
        run_day(demo, NEXT, strategy=default_strategy(), rules=demo_rules())
        wrote = runner.invoke(app, ["snapshot", "--date", NEXT.isoformat()])
        assert wrote.exit_code == 0, wrote.output
        assert wrote.output.startswith("wrote snapshot 2026-12-01")
        table = runner.invoke(app, ["report", "--from", "2026-12-02", "--to", "2026-12-02"])
        assert table.exit_code == 0, table.output
        assert "Past balances: all from balance snapshots" in flat(table.output)
        gap = runner.invoke(app, ["report", "--from", "2026-12-05", "--to", "2026-12-05"])
        assert "Approximate: no balance snapshot for 2026-12-04" in flat(gap.output)
    finally:
        get_settings.cache_clear()
