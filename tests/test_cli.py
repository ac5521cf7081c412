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
    monkeypatch.chdir(tmp_path)  # var/ (reports, demo files, dev keys) goes under tmp_path
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_demo_then_nightly_run_and_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
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


def invoke_json(runner: CliRunner, args: list[str], exit_code: int = 0) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == exit_code, result.output
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def test_a_creditors_day_of_files_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["creditor", "add", "hxb", "--name", "华夏示范银行"]).exit_code == 0
    result = runner.invoke(app, ["creditor", "add", "HXB", "--name", "again"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    for code, template in (("CC", "credit_card"), ("CL", "consumer_loan"), ("OL", "online_loan")):
        args = ["creditor", "product", "HXB", code, "--name", code, "--template", template]
        assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, ["sample", "placements", "p.xlsx", "--rows", "300"]).exit_code == 0
    assert runner.invoke(app, ["sample", "payments", "pay.csv", "--rows", "300"]).exit_code == 0

    args = ["import", "placements", "p.xlsx", "--creditor", "HXB", "--date", "2026-11-20"]
    first = invoke_json(runner, args)
    assert first["written"] == 300
    assert first["refused"] == 0
    again = invoke_json(runner, args)
    assert again["already_imported"] is True
    assert again["written"] == 0

    # A hostile file: a formula, an injection string and a bad ID number. Refused whole.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "账号,客户号,姓名,身份证号,手机号,产品代码,本金,首期应还日,每期应还\n"
        'N1,D1,=HYPERLINK("x"),11010519491231002X,13812345678,CC,100,2026-01-01,10\n'
        "N2,D2,'; DROP TABLE accounts;--,11010519491231002X,13812345678,CC,100,2026-01-01,10\n"
        "N3,D3,王小明,110105194912310021,13812345678,CC,100,2026-01-01,10\n",
        encoding="utf-8",
    )
    refused = invoke_json(
        runner, ["import", "placements", str(bad), "--creditor", "HXB", "--date", "2026-11-20"], 1
    )
    assert refused["written"] == 0
    assert refused["refused"] == 3
    report = Path(str(refused["error_report"])).read_text(encoding="utf-8-sig")
    assert "row" in report.splitlines()[0].lower()
    assert "N1" not in report  # only the offending cells are named, never whole rows
    assert "公式" in report

    paid = invoke_json(
        runner, ["import", "payments", "pay.csv", "--creditor", "HXB", "--date", "2026-11-21"]
    )
    assert paid["written"] == 300

    # No teams yet: allocation refuses with a reason instead of guessing.
    allocation = invoke_json(runner, ["allocate", "--date", "2026-11-21"], 2)
    assert "teams" in str(allocation["error"])
    verified = invoke_json(runner, ["audit", "verify"])
    assert verified["intact"] is True
    assert int(str(verified["entries"])) >= 6


def test_compliance_check_reads_the_request_format(runner: CliRunner, tmp_path: Path) -> None:
    request = {
        "jurisdiction": "US",
        "debtor": {
            "timezone": "America/New_York",
            "location_signals": [{"type": "mobile_area_code", "timezone": "America/Los_Angeles"}],
        },
        "debts": [{"id": "CC-1"}],
        "events": [],
        "proposed": {
            # 09:30 in New York is 06:30 in Los Angeles: inconvenient in one plausible zone.
            "datetime": "2026-04-08T09:30:00-04:00",
            "channel": "phone",
            "direction": "outbound",
            "party": "consumer",
            "debt_ids": ["CC-1"],
            "to_number": "+12125550100",
        },
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = runner.invoke(app, ["compliance", "check", str(path)])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["decision"] == "deferred"
    assert verdict["next_allowed_at"] == "2026-04-08T11:00:00-04:00"  # 08:00 in Los Angeles
    assert verdict["reasons"][0]["rule_id"] == "US-REGF-1006.6(b)(1)(i)"
    explained = runner.invoke(app, ["compliance", "check", str(path), "--explain"])
    assert "deferred" in explained.stdout
    assert "US-REGF-1006.6(b)(1)(i)" in explained.stdout
    request["proposed"]["datetime"] = "2026-04-08 09:30"  # no offset
    path.write_text(json.dumps(request), encoding="utf-8")
    bad = runner.invoke(app, ["compliance", "check", str(path)])
    assert bad.exit_code == 2
    assert "proposed.datetime" in bad.output
    packs = json.loads(runner.invoke(app, ["compliance", "packs", "--json"]).stdout)
    codes = {pack["pack"] for pack in packs}
    assert {"US-RegF", "CN-CBA-2026", "CN-GBT45251-2025", "CN-bank-base", "CN-PIPL"} <= codes


def test_the_worker_sends_an_encrypted_recipients_email_once(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from huikuan.db.engine import make_engine, transaction
    from huikuan.db.migrate import upgrade
    from huikuan.dispatch.outbox import NewMessage, stage
    from huikuan.security.keystore import cipher_from_settings
    from tests.dispatch import Recorder, smtp_server

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(engine)
    cipher = cipher_from_settings(get_settings())
    token = cipher.encrypt("debtor@example.com", context="contact.value")
    with transaction(engine) as session:
        stage(
            session,
            [
                NewMessage(
                    send_key="REMIND-1",
                    channel="email",
                    sender="collections@example.com",
                    recipient=token,
                    subject="还款提醒",
                    body="您好，这里是华夏示范银行信用卡中心。",
                    not_before=datetime(2026, 11, 20, tzinfo=UTC),
                )
            ],
        )
    recorder = Recorder()
    with smtp_server(recorder) as port:
        monkeypatch.setenv("HUIKUAN_SMTP_PORT", str(port))
        get_settings.cache_clear()
        result = runner.invoke(app, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "sent 1" in result.output
        again = runner.invoke(app, ["worker", "--once"])
        assert "sent 0" in again.output
    assert len(recorder.messages) == 1
    message = recorder.messages[0]
    assert message["To"] == "debtor@example.com"
    assert message["Subject"] == "还款提醒"


def test_strategy_validate_and_dry_run(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "code: X\nversion: 1\nsegments:\n  - code: A\n    when: {bucket: M9}\n    treatment: T\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["strategy", "validate", str(bad)])
    assert result.exit_code == 2
    assert "unknown bucket 'M9'" in result.output
    assert "(line 5)" in result.output
    assert (
        runner.invoke(app, ["demo", "--accounts", "400", "--days", "1", "--reset"]).exit_code == 0
    )
    planned = invoke_json(runner, ["strategy", "dry-run", "--date", "2026-11-21"])
    assert planned["unmatched"] == 0
    segments = planned["segments"]
    assert isinstance(segments, list)
    assert sum(int(row["accounts"]) for row in segments) > 0
    actions = planned["actions"]
    assert isinstance(actions, dict)
    assert sum(int(count) for count in actions.values()) > 0
