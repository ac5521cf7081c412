"""``huikuan kpi report --from D --to D [--by agent,creditor] [--json]``: the KPI report, and
``huikuan kpi snapshot --date D``: the balance snapshot of the last closed day.

The main CLI mounts :data:`app` as ``huikuan kpi`` (``app.add_typer(kpi_app, name="kpi")``).
Reads the settings and opens the engine the way the main CLI does, refuses a schema that is not
the latest, loads the period's frames in one read-only transaction
(:func:`huikuan.kpis.service.kpi_report`) and prints one Rich table per KPI, or with ``--json``
one JSON object: ``{kpi code: [row, …]}`` (dates as ISO strings; rates as numbers). The table
output ends with where the past balances came from, and says so when any were rebuilt
(approximate) for want of a snapshot. ``snapshot`` writes a date's snapshot once
(:func:`huikuan.kpis.snapshots.take_snapshot`); run again, it reports the stored one.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision
from huikuan.kpis.definitions import BY_CODE, SLICES
from huikuan.kpis.engine import BASIS_REBUILT
from huikuan.kpis.service import kpi_report
from huikuan.kpis.snapshots import SnapshotDateError, take_snapshot
from huikuan.logs import configure_logging
from huikuan.settings import get_settings

app = typer.Typer(help="KPIs (指标): recovery, roll rates, contact funnel …", no_args_is_help=True)
console = Console()

TITLES = {
    "experiment_arms": "策略分组出催率 Cure rate by strategy arm (Wilson 95%)",
    "experiment_lifts": "策略提升 Lift between arms (Newcombe 95%)",
    "balance_basis": "历史余额来源 Where past balances came from",
}


@app.callback()
def kpi() -> None:
    """KPIs (指标): recovery, roll rates, the contact funnel, compliance blocks."""


def _parse_by(by: str) -> list[str]:
    names = [name.strip() for name in by.split(",") if name.strip()]
    unknown = [name for name in names if name not in SLICES]
    if unknown:
        raise typer.BadParameter(
            f"unknown slice {', '.join(unknown)}; one of {', '.join(SLICES)}", param_hint="--by"
        )
    return names


def _title(code: str) -> str:
    kpi = BY_CODE.get(code)
    return TITLES.get(code, code) if kpi is None else f"{kpi.name_zh} {kpi.name_en} ({kpi.unit})"


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _table(code: str, frame: pl.DataFrame) -> Table:
    table = Table(title=_title(code), title_justify="left")
    for name in frame.columns:
        table.add_column(name, justify="left" if frame.schema[name] == pl.String() else "right")
    for row in frame.iter_rows():
        table.add_row(*(_cell(value) for value in row))
    return table


def report_json(report: dict[str, pl.DataFrame]) -> str:
    return json.dumps(
        {code: frame.to_dicts() for code, frame in report.items()},
        ensure_ascii=False,
        default=lambda value: value.isoformat() if isinstance(value, date) else str(value),
    )


@app.command("report")
def report_command(
    from_: Annotated[
        str, typer.Option("--from", help="First business day, YYYY-MM-DD.", show_default=False)
    ],
    to: Annotated[
        str, typer.Option("--to", help="Last business day, YYYY-MM-DD.", show_default=False)
    ],
    by: Annotated[
        str, typer.Option("--by", help=f"Slices, comma-separated: {', '.join(SLICES)}.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Every KPI over a period, optionally sliced (指标报表)."""
    try:
        start, end = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}") from error
    if end < start:
        raise typer.BadParameter("--to is before --from", param_hint="--to")
    slices = _parse_by(by)
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = make_engine(settings.database_url)
    try:
        _check_schema(engine)
        with transaction(engine) as session:
            report = kpi_report(session, start, end, slices)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(report_json(report))
        return
    for code, frame in report.items():
        console.print(_table(code, frame))
    console.print(basis_note(report["balance_basis"]))


def _check_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        console.print(
            f"[red]The database schema is at {current or 'nothing'}, the latest is {head}: "
            "run `huikuan db upgrade` first.[/red]"
        )
        raise typer.Exit(2)


def basis_note(basis: pl.DataFrame) -> str:
    """One line: exact from snapshots, or which days' balances were rebuilt (approximate)."""
    rebuilt = basis.filter(pl.col("source") == BASIS_REBUILT)
    if rebuilt.height == 0:
        return "历史余额均取自余额快照 Past balances: all from balance snapshots (exact)."
    days = sorted({day.isoformat() for day in rebuilt.get_column("business_date").to_list()})
    return (
        "注意：以下日期无余额快照，历史余额按当前余额加其后回款推算（近似值） "
        "Approximate: no balance snapshot for "
        f"{', '.join(days)}; those balances were rebuilt as today's balance + later receipts "
        "(accrual since then not subtracted)."
    )


@app.command("snapshot")
def snapshot_command(
    on: Annotated[
        str, typer.Option("--date", help="Business day, YYYY-MM-DD.", show_default=False)
    ],
) -> None:
    """Write the balance snapshot of a business day, once (余额快照)."""
    try:
        business_date = date.fromisoformat(on)
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}", param_hint="--date") from error
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = make_engine(settings.database_url)
    try:
        _check_schema(engine)
        with transaction(engine) as session:
            result = take_snapshot(session, business_date, source="cli")
    except SnapshotDateError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    verb = "wrote" if result.written else "already there, nothing written:"
    typer.echo(
        f"{verb} snapshot {result.business_date.isoformat()}: {result.accounts} accounts "
        f"({result.open_accounts} open), {result.total} fen owed"
    )
