"""``huikuan commission …`` through Typer's runner on a SQLite file, and the XLSX / CSV exports."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from huikuan.compensation.cli import app
from huikuan.core.commissions import SEED_AGENCY_FEE_SCHEME, SEED_FIXED
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import upgrade
from huikuan.settings import get_settings
from tests.compensation.world import World, yuan


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    with transaction(engine) as session:
        world = World(session)
        world.commission_scheme(SEED_FIXED)
        world.fee_schedule(SEED_AGENCY_FEE_SCHEME)
        inside = world.agent("wang")
        outside = world.agent("zhou", world.outsourced)
        _, account = world.case(inside)
        world.pay(account, date(2026, 11, 3), "100,000")
        _, placed = world.case(outside, bucket="M3")
        world.pay(placed, date(2026, 11, 4), "20,000.50")
    engine.dispose()
    yield CliRunner()
    get_settings.cache_clear()


def test_statement_json_is_one_object_per_agent(runner: CliRunner) -> None:
    result = runner.invoke(app, ["statement", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    statements = json.loads(result.stdout)
    assert [s["agent"] for s in statements] == ["wang", "zhou"]
    for key in ("agent", "collected", "base", "quality_multiplier", "clawback", "net", "lines"):
        assert key in statements[0]
    wang = statements[0]
    assert (wang["collected"], wang["base"], wang["clawback"]) == (
        yuan("100,000"),
        yuan("100,000"),
        0,
    )
    assert wang["net"] == yuan("5,000")
    assert [line["kind"] for line in wang["lines"]] == ["commission", "payment"]
    assert statements[1]["net"] == 100_003  # 5% of 20,000.50 = 1,000.025 -> 1,000.03 half up


def test_agency_fees_and_remittance_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["agency-fees", "--period", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    (agency,) = json.loads(result.stdout)
    assert agency["agency"] == "AG1"
    assert agency["fee"] == 300_008  # 15% (M3) of 20,000.50 = 3,000.075 -> 3,000.08
    result = runner.invoke(app, ["remittance", "--period", "2026-11", "--json"])
    (creditor,) = json.loads(result.stdout)
    assert creditor["recovered"] == yuan("120,000.50")
    assert creditor["net"] == yuan("120,000.50") - 300_008


def test_a_bad_period_is_refused_with_the_expected_form(runner: CliRunner) -> None:
    result = runner.invoke(app, ["statement", "--period", "2026/11"])
    assert result.exit_code == 1
    assert "YYYY-MM" in result.output


def test_issue_twice_issues_once(runner: CliRunner) -> None:
    args = ["issue", "--period", "2026-11", "--kind", "agent", "--actor", "manager"]
    first = runner.invoke(app, args)
    assert "issued 2, already issued 0" in first.output, first.output
    second = runner.invoke(app, args)
    assert "issued 0, already issued 2" in second.output, second.output


def test_xlsx_export_opens_with_both_sheets_and_exact_amounts(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "agents.xlsx"
    args = ["export", "--period", "2026-11", "--kind", "agent", "--format", "xlsx", "--out"]
    result = runner.invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    assert "xl/workbook.xml" in zipfile.ZipFile(out).namelist()
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["汇总 Summary", "明细 Lines"]
    summary = book.get_sheet_by_name("汇总 Summary").to_python()
    header = summary[0]
    assert header[:2] == ["期间 Period", "对象 Subject"]
    net = header.index("净额 Net")
    assert [row[1] for row in summary[1:]] == ["wang", "zhou"]
    assert [row[net] for row in summary[1:]] == [5000.0, 1000.03]
    lines = book.get_sheet_by_name("明细 Lines").to_python()
    assert len(lines) == 1 + 4  # a commission line and a payment line per agent


def test_csv_export_has_bilingual_headers_and_yuan_text(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "agency.csv"
    args = ["export", "--period", "2026-11", "--kind", "agency", "--format", "csv", "--out"]
    result = runner.invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fee_rows = [row for row in rows if row["类型 Line kind"] == "fee"]
    assert [(r["账龄 Bucket"], r["回收金额 Recovered"], r["委外佣金 Fee"]) for r in fee_rows] == [
        ("M3", "20000.50", "3000.08")
    ]
