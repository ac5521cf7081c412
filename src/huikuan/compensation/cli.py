"""``huikuan commission …``: agent statements, agency fees, remittances, exports and issuing.

Reads the settings and opens the engine the way the main CLI does, refuses a schema that is
not the latest, and runs each command in one transaction. The period is always an argument
(``--period YYYY-MM``); nothing here reads the clock except ``issue``, which stamps the audit
entry with the current time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from huikuan.compensation.exports import write_csv, write_xlsx
from huikuan.compensation.schemes import NoSchemeError, install_default_schemes
from huikuan.compensation.service import (
    SubjectKind,
    agency_fees,
    agent_statements,
    remittance_statements,
    statement_documents,
    store_statements,
)
from huikuan.core.money import format_minor
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision
from huikuan.logs import configure_logging
from huikuan.settings import get_settings

app = typer.Typer(help="Commissions, agency fees and remittances (提成 / 委外佣金 / 回款结算).")
console = Console()

PeriodOption = Annotated[str, typer.Option("--period", help="The month, YYYY-MM.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON array.")]


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@contextmanager
def _session() -> Iterator[Session]:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = make_engine(settings.database_url)
    try:
        current, head = current_revision(engine), head_revision(engine)
        if current != head:
            console.print(
                f"[red]The database schema is at {current or 'nothing'}, the latest is {head}: "
                "run `huikuan db upgrade` first.[/red]"
            )
            raise typer.Exit(2)
        with transaction(engine) as session:
            yield session
    except (ValueError, NoSchemeError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _json(rows: list[dict[str, object]]) -> None:
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))


def _yuan(minor: object) -> str:
    return format_minor(minor) if isinstance(minor, int) else "—"


@app.command("statement")
def statement_command(period: PeriodOption, as_json: JsonOption = False) -> None:
    """坐席提成明细: one statement per agent for the month."""
    with _session() as session:
        statements = agent_statements(session, period)
        if as_json:
            _json([s.to_json() for s in statements])
            return
        table = Table(title=f"提成 Commission statements {period}")
        for column in ("坐席 Agent", "回收 Collected", "基数 Base", "质检 QA", "追回 Clawback"):
            table.add_column(column, justify="right")
        table.add_column("净额 Net", justify="right")
        for s in statements:
            multiplier = s.totals()["quality_multiplier"]
            table.add_row(
                s.username,
                _yuan(s.collected),
                _yuan(s.base),
                "—" if multiplier is None else f"{multiplier}x ({s.qa_score})",
                _yuan(s.clawback),
                _yuan(s.net),
            )
        console.print(table)


@app.command("agency-fees")
def agency_fees_command(period: PeriodOption, as_json: JsonOption = False) -> None:
    """委外佣金: each agency's fee by 账龄 band and creditor for the month."""
    with _session() as session:
        fees = agency_fees(session, period)
        if as_json:
            _json([f.to_json() for f in fees])
            return
        table = Table(title=f"委外佣金 Agency fees {period}")
        for column in ("机构 Agency", "委托方 Creditor", "回收 Recovered", "佣金 Fee"):
            table.add_column(column)
        for agency in fees:
            for part in agency.by_creditor:
                table.add_row(
                    agency.agency_code, part.creditor_code, _yuan(part.recovered), _yuan(part.fee)
                )
        console.print(table)


@app.command("remittance")
def remittance_command(period: PeriodOption, as_json: JsonOption = False) -> None:
    """回款结算: per creditor, recovered − agency fees = net to remit."""
    with _session() as session:
        statements = remittance_statements(session, period)
        if as_json:
            _json([s.to_json() for s in statements])
            return
        table = Table(title=f"回款结算 Remittance {period}")
        for column in ("委托方 Creditor", "回收 Recovered", "委外佣金 Fees", "应结 Net"):
            table.add_column(column)
        for s in statements:
            table.add_row(s.creditor_code, _yuan(s.recovered), _yuan(s.agency_fees), _yuan(s.net))
        console.print(table)


@app.command("export")
def export_command(
    period: PeriodOption,
    kind: Annotated[SubjectKind, typer.Option("--kind", help="agent, agency or creditor.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="xlsx or csv.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
) -> None:
    """Export the month's statements of one kind to XLSX or CSV."""
    with _session() as session:
        docs = statement_documents(session, period, kind)
    writer = write_xlsx if fmt is ExportFormat.XLSX else write_csv
    lines = writer(docs, kind, out)
    console.print(f"Wrote {len(docs)} statement(s), {lines} line(s) to {out}")


@app.command("issue")
def issue_command(
    period: PeriodOption,
    kind: Annotated[SubjectKind, typer.Option("--kind", help="agent, agency or creditor.")],
    actor: Annotated[str, typer.Option("--actor", help="Who issues (for the audit log).")],
    draft: Annotated[bool, typer.Option("--draft", help="Save drafts, issue nothing.")] = False,
) -> None:
    """Issue (or, with --draft, save) the month's statements; issued ones are never rewritten."""
    with _session() as session:
        report = store_statements(
            session, period, kind, actor=actor, at=datetime.now(UTC), issue=not draft
        )
    console.print(
        f"drafted {len(report.drafted)}, issued {len(report.issued)}, "
        f"already issued {len(report.already_issued)}"
    )


@app.command("install-defaults")
def install_defaults_command() -> None:
    """Give every creditor, team and agency the default schemes (seed tiers and fee bands)."""
    with _session() as session:
        added = install_default_schemes(session)
    console.print(f"added {added} scheme row(s)")
