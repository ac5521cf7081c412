"""The KPI report from a demo portfolio on SQLite and PostgreSQL: plausible and consistent."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.kpis.cli import app
from huikuan.kpis.definitions import KPIS, Unit
from huikuan.kpis.service import kpi_report
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher

AS_OF = date(2026, 11, 20)
START, END = date(2026, 11, 18), AS_OF
RATIOS = {kpi.code for kpi in KPIS if kpi.unit is Unit.RATIO}


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(engine, accounts=300, as_of=AS_OF, days=3, cipher=cipher, work_dir=tmp_path)
    return engine


def test_report_is_plausible_and_slices_add_up(demo: Engine) -> None:
    with transaction(demo) as session:
        whole = kpi_report(session, START, END)
        received = session.scalar(
            select(func.sum(Payment.amount)).where(Payment.received_on.between(START, END))
        )
        sliced = {
            name: kpi_report(session, START, END, [name])
            for name in ("creditor", "product", "bucket", "arm", "agent", "vintage")
        }
    assert set(whole) == {kpi.code for kpi in KPIS} | {
        "experiment_arms",
        "experiment_lifts",
        "balance_basis",
    }
    for code in RATIOS:
        values = whole[code].get_column("value").drop_nulls()
        assert values.is_between(0.0, 1.0).all(), code
    # Every receipt in the period is recovered from some account of the portfolio.
    assert received
    assert whole["recovery_rate_amount"].get_column("numerator").item() == received
    # The daily cycle texted and called: some cases were contacted.
    assert whole["contact_rate"].get_column("numerator").item() > 0
    matrix = whole["roll_rate_matrix"]
    shares = matrix.group_by("month", "from_bucket").agg(pl.col("value").sum())
    assert shares.get_column("value").to_list() == pytest.approx([1.0] * shares.height)
    for name, report in sliced.items():
        for code in ("recovery_rate_amount", "recovery_rate_count", "cure_rate", "contact_rate"):
            for column in ("numerator", "denominator"):
                assert (
                    report[code].get_column(column).sum() == whole[code].get_column(column).sum()
                ), (name, code)
    arms = sliced["arm"]["cure_rate"].get_column("arm").to_list()
    assert "champion" in arms
    lifts = whole["experiment_lifts"]
    for row in lifts.iter_rows(named=True):
        assert row["significant"] == (row["low"] > 0 or row["high"] < 0)


def test_cli_report(demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", demo.url.render_as_string(hide_password=False))
    from huikuan.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(
            app, ["report", "--from", START.isoformat(), "--to", END.isoformat(), "--json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["cure_rate"][0]["denominator"] > 0
        table = runner.invoke(
            app, ["report", "--from", START.isoformat(), "--to", END.isoformat(), "--by", "arm"]
        )
        assert table.exit_code == 0, table.output
        assert "回收率(金额)" in table.output
        assert "champion" in table.output
        bad = runner.invoke(app, ["report", "--from", "2026-11-20", "--to", "2026-11-18"])
        assert bad.exit_code == 2
    finally:
        get_settings.cache_clear()
