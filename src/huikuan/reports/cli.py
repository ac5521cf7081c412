"""``huikuan report overdue …`` and ``huikuan report monthly …``: the creditor/regulator reports.

The main CLI is meant to mount :data:`app` as ``huikuan report``
(``app.add_typer(report_app, name="report")``). Each command reads the settings, opens the
engine the way the main CLI does, refuses a schema that is not the latest, reads in one
transaction and then prints a Rich table or writes the file named by ``--out``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision
from huikuan.logs import configure_logging
from huikuan.org.models import Creditor
from huikuan.reports.monthly import creditor_month, render_pdf
from huikuan.reports.overdue import (
    headers,
    overdue_basis,
    overdue_report,
    write_csv,
    write_xlsx,
)
from huikuan.settings import get_settings

app = typer.Typer(help="Reports (报表): overdue report, monthly PDF.", no_args_is_help=True)
console = Console()


class Format(StrEnum):
    table = "table"
    csv = "csv"
    xlsx = "xlsx"


@app.callback()
def report() -> None:
    """Reports (报表): the regulator-style overdue report and the monthly creditor PDF."""


def _engine() -> Engine:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = make_engine(settings.database_url)
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        engine.dispose()
        console.print(
            f"[red]The database schema is at {current or 'nothing'}, the latest is {head}: "
            "run `huikuan db upgrade` first.[/red]"
        )
        raise typer.Exit(2)
    return engine


def _creditor_id(session: Session, code: str) -> int:
    found = session.scalar(select(Creditor.id).where(Creditor.code == code))
    if found is None:
        raise typer.BadParameter(f"no creditor with code {code!r}", param_hint="--creditor")
    return found


@app.command("overdue")
def overdue_command(
    on: Annotated[str, typer.Option("--date", help="As-of date, YYYY-MM-DD.", show_default=False)],
    creditor: Annotated[
        str | None, typer.Option("--creditor", help="Only this creditor (code).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv or xlsx.")] = Format.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (csv / xlsx).", dir_okay=False)
    ] = None,
) -> None:
    """Open accounts and balances by product and bucket (逾期报表)."""
    try:
        as_of = date.fromisoformat(on)
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}", param_hint="--date") from error
    if fmt is not Format.table and out is None:
        raise typer.BadParameter(f"--format {fmt.value} needs --out", param_hint="--out")
    engine = _engine()
    try:
        with transaction(engine) as session:
            creditor_id = None if creditor is None else _creditor_id(session, creditor)
            frame = overdue_report(session, as_of, creditor_id)
            basis = overdue_basis(session, as_of)
    finally:
        engine.dispose()
    if fmt is Format.csv and out is not None:
        typer.echo(f"wrote {write_csv(frame, out)}")
        typer.echo(basis.note)
    elif fmt is Format.xlsx and out is not None:
        typer.echo(f"wrote {write_xlsx(frame, out, note=basis.note)}")
        typer.echo(basis.note)
    else:
        table = Table(title=f"逾期报表 Overdue report {as_of.isoformat()}", title_justify="left")
        for index, title in enumerate(headers()):
            table.add_column(title, justify="left" if index < 2 else "right")
        for row in frame.iter_rows():
            table.add_row(*(f"{value:,}" if isinstance(value, int) else value for value in row))
        console.print(table)
        console.print(basis.note)


@app.command("monthly")
def monthly_command(
    creditor: Annotated[str, typer.Option("--creditor", help="Creditor code.", show_default=False)],
    period: Annotated[str, typer.Option("--period", help="YYYY-MM.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.", dir_okay=False)] = Path(
        "report.pdf"
    ),
) -> None:
    """The monthly creditor report as an A4 PDF (月度催收报告)."""
    engine = _engine()
    try:
        with transaction(engine) as session:
            try:
                monthly = creditor_month(session, _creditor_id(session, creditor), period)
            except ValueError as error:
                raise typer.BadParameter(str(error), param_hint="--period") from error
    finally:
        engine.dispose()
    out.write_bytes(render_pdf(monthly))
    typer.echo(f"wrote {out}")
