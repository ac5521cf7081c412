"""The ``huikuan`` command line: the entry point that reads settings and wires the database.

Business dates are always arguments (``--date``); this is the only layer that may turn "today"
into a date, and it never does so implicitly.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from huikuan.accounts.service import (
    BucketRow,
    bucket_summary,
    load_bucket_history,
    load_policies,
    load_products,
    status_counts,
)
from huikuan.core.delinquency import Movement
from huikuan.core.money import format_minor
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision, upgrade
from huikuan.demo.service import DemoExistsError, load_demo
from huikuan.logs import configure_logging, get_logger
from huikuan.nightly.pipeline import OutOfOrderDayError
from huikuan.nightly.rolls import movements_between
from huikuan.nightly.service import DayReport, close_through, get_day, last_closed
from huikuan.settings import get_settings

app = typer.Typer(help="Huikuan (回款): compliance-first debt collection.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
nightly_app = typer.Typer(help="The nightly portfolio run.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(nightly_app, name="nightly")

console = Console()
log = get_logger("huikuan.cli")

DateOption = Annotated[
    str, typer.Option("--date", help="Business date, YYYY-MM-DD (业务日期).", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _engine() -> Engine:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return make_engine(settings.database_url)


def _migrated_engine() -> Engine:
    """The engine, refusing with a clear message when the schema is not the latest."""
    engine = _engine()
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        console.print(
            f"[red]The database schema is at {current or 'nothing'}, the latest is {head}: "
            "run `huikuan db upgrade` first.[/red]"
        )
        raise typer.Exit(2)
    return engine


def _business_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"--date must be YYYY-MM-DD, got {text!r}") from exc


def _yuan(minor: int) -> str:
    return format_minor(minor)


@app.callback()
def main() -> None:
    """Huikuan (回款)."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the configured database to the latest schema (升级数据库结构)."""
    engine = _engine()
    revision = upgrade(engine)
    console.print(f"database at revision {revision} ({engine.url.render_as_string()})")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one available."""
    engine = _engine()
    console.print(f"current: {current_revision(engine)}  head: {head_revision(engine)}")


@app.command()
def demo(
    business_date: DateOption = "2026-11-20",
    accounts: Annotated[int, typer.Option(help="Accounts in the demo portfolio.")] = 20_000,
    days: Annotated[int, typer.Option(help="Days of the cycle to simulate up to --date.")] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic portfolio.")] = 20260101,
    reset: Annotated[bool, typer.Option(help="Drop everything and start over.")] = False,
) -> None:
    """Fill the database with a realistic demo portfolio and run the daily cycle (演示数据)."""
    as_of = _business_date(business_date)
    engine = _engine()
    with Progress(
        TextColumn("[bold]模拟日终 simulating days"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("days", total=days)
        try:
            result = load_demo(
                engine,
                accounts=accounts,
                as_of=as_of,
                days=days,
                seed=seed,
                reset=reset,
                on_day=lambda _day: progress.advance(task),
            )
        except DemoExistsError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    console.print(
        f"Demo: {result.accounts:,} accounts placed {result.start}, {days} days simulated "
        f"through {result.as_of}. Users: "
        + ", ".join(f"{name} ({role})" for name, role in result.users[:8])
        + f" … {len(result.users)} in all."
    )
    _print_summary(engine, as_of)
    _print_movements(engine, result.start, as_of)


@nightly_app.command("run")
def nightly_run(business_date: DateOption, as_json: JsonOption = False) -> None:
    """Close every day through --date: accrual, DPD, bucket, roll (日终跑批). Runs once per date."""
    as_of = _business_date(business_date)
    engine = _migrated_engine()
    try:
        report = close_through(engine, as_of)
    except OutOfOrderDayError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    log.info(
        "nightly_closed",
        through=as_of.isoformat(),
        days=len(report.days),
        already_closed=report.already_closed,
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "through": as_of.isoformat(),
                    "already_closed": report.already_closed,
                    "days": [_day_json(day) for day in report.days],
                    "stage_seconds": report.stage_seconds,
                },
                ensure_ascii=False,
            )
        )
        return
    _print_summary(engine, as_of)


@nightly_app.command("summary")
def nightly_summary(business_date: DateOption, as_json: JsonOption = False) -> None:
    """Accounts and balances per bucket, and what the day accrued (账龄分布)."""
    as_of = _business_date(business_date)
    engine = _migrated_engine()
    if as_json:
        with transaction(engine) as session:
            day = get_day(session, as_of)
            rows = bucket_summary(session)
        typer.echo(
            json.dumps(
                {
                    "business_date": as_of.isoformat(),
                    "day": None if day is None else _day_json(day),
                    "buckets": [asdict(row) | {"balance": row.balance} for row in rows],
                },
                ensure_ascii=False,
            )
        )
        return
    _print_summary(engine, as_of)


def _day_json(day: DayReport) -> dict[str, object]:
    return asdict(day) | {"business_date": day.business_date.isoformat(), "accrued": day.accrued}


def _print_summary(engine: Engine, as_of: date) -> None:
    with transaction(engine) as session:
        day = get_day(session, as_of)
        rows = bucket_summary(session)
        statuses = status_counts(session)
        through = last_closed(session)
    # The bucket table is the portfolio as it stands now; the day line is for the date asked.
    table = Table(
        title=f"账龄分布 Open accounts by bucket · 已跑批至 closed through {through} (CNY)"
    )
    for heading in ("账龄 Bucket", "户数 Accounts", "本金 Principal", "利息 Interest"):
        table.add_column(heading, justify="right")
    for heading in ("罚息 Penalty", "费用 Fees", "余额 Balance"):
        table.add_column(heading, justify="right")
    for row in rows:
        table.add_row(*_cells(row))
    total = BucketRow(
        "合计 Total",
        sum(r.accounts for r in rows),
        sum(r.principal for r in rows),
        sum(r.interest for r in rows),
        sum(r.penalty for r in rows),
        sum(r.fee for r in rows),
    )
    table.add_row(*_cells(total), style="bold")
    Console(width=max(console.width, 132)).print(table)
    closed = ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items()))
    console.print(f"Accounts by status: {closed}")
    if day is None:
        console.print(f"{as_of} has not been closed yet: run `huikuan nightly run --date {as_of}`.")
        return
    console.print(
        f"当日计提 Accrued on {as_of}: {_yuan(day.accrued)} "
        f"(interest {_yuan(day.interest)}, penalty {_yuan(day.penalty)}, fees {_yuan(day.fee)}); "
        f"当日回款 received {_yuan(day.received)}; bucket changes {day.bucket_changes:,}."
    )


def _print_movements(engine: Engine, start: date, end: date) -> None:
    with transaction(engine) as session:
        history = load_bucket_history(session)
        products = load_products(session)
        policies = load_policies(session)
    moves = movements_between(history, products, policies, start, end)
    counts = dict(moves.group_by("movement").len().iter_rows())
    labels = [
        (Movement.ROLL_FORWARD, "迁徙 roll forward"),
        (Movement.ROLL_BACK, "降期 roll back"),
        (Movement.CURE, "出催 cured"),
        (Movement.STAY, "持平 stayed"),
    ]
    parts = [f"{label} {counts.get(move.value, 0):,}" for move, label in labels]
    console.print(f"Movements {start} → {end}: " + ", ".join(parts) + ".")


def _cells(row: BucketRow) -> list[str]:
    return [
        row.bucket,
        f"{row.accounts:,}",
        _yuan(row.principal),
        _yuan(row.interest),
        _yuan(row.penalty),
        _yuan(row.fee),
        _yuan(row.balance),
    ]


if __name__ == "__main__":
    app()
