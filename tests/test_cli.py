"""The ``huikuan`` command line end to end on a SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huikuan.cli import app
from huikuan.settings import get_settings


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_demo_then_nightly_run_and_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output
    result = runner.invoke(
        app, ["demo", "--accounts", "300", "--date", "2026-11-20", "--days", "3", "--reset"]
    )
    assert result.exit_code == 0, result.output
    assert "账龄分布" in result.output
    assert "M7+" in result.output
    assert "Accrued on 2026-11-20" in result.output

    result = runner.invoke(app, ["nightly", "run", "--date", "2026-11-20", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["already_closed"] is True
    assert report["days"][0]["accrued"] > 0

    result = runner.invoke(app, ["nightly", "run", "--date", "2026-11-22", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["already_closed"] is False
    assert [d["business_date"] for d in report["days"]] == ["2026-11-21", "2026-11-22"]

    result = runner.invoke(app, ["nightly", "summary", "--date", "2026-11-22", "--json"])
    summary = json.loads(result.stdout)
    assert summary["day"]["business_date"] == "2026-11-22"
    assert sum(b["accounts"] for b in summary["buckets"]) > 0
    assert summary["buckets"][0]["bucket"] == "M0"


def test_bad_dates_and_past_days_are_refused_with_a_reason(runner: CliRunner) -> None:
    result = runner.invoke(app, ["nightly", "run", "--date", "2026-13-01"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["nightly", "run", "--date", "2026-11-20"])
    assert result.exit_code == 2
    assert "huikuan db upgrade" in result.output
    runner.invoke(
        app, ["demo", "--accounts", "50", "--date", "2026-11-20", "--days", "1", "--reset"]
    )
    result = runner.invoke(app, ["nightly", "run", "--date", "2026-11-01"])
    assert result.exit_code == 2
    assert "cannot be closed" in result.output


def test_demo_refuses_to_overwrite_without_reset(runner: CliRunner) -> None:
    assert runner.invoke(app, ["demo", "--accounts", "20", "--days", "0"]).exit_code == 0
    result = runner.invoke(app, ["demo", "--accounts", "20", "--days", "0"])
    assert result.exit_code == 1
    assert "--reset" in result.output
