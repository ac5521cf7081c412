"""The ``huikuan`` command line: the entry point that reads settings and wires the database.

Business dates are always arguments (``--date``); this is the only layer that may turn "today"
into a date, and it never does so implicitly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, func, select

from huikuan.access.policy import (
    AccessDeniedError,
    Principal,
    case_filter,
    get_case,
    principal_for,
    reveal,
)
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.accounts.service import (
    BucketRow,
    bucket_summary,
    load_accounts,
    load_bucket_history,
    load_policies,
    load_products,
    status_counts,
)
from huikuan.assignment.engine import ReassignmentRefused
from huikuan.assignment.rules_io import RulesError, default_rules, load_rules
from huikuan.assignment.service import (
    REASSIGN_ROLES,
    WORKED_STATES,
    allocate_cases,
    reassign_cases,
    team_codes,
)
from huikuan.audit.service import head as audit_head
from huikuan.audit.service import record
from huikuan.audit.service import verify as audit_verify_chain
from huikuan.cases.models import Case
from huikuan.cases.queries import case_list
from huikuan.cases.service import move_case
from huikuan.compensation.cli import app as commission_app
from huikuan.compliance.engine import check as check_contact
from huikuan.compliance.explain import explain
from huikuan.compliance.registry import default_packs, pack_summary
from huikuan.compliance.request import RequestError, parse_request
from huikuan.compliance.service import (
    OverrideRefusedError,
    ProposedContact,
    override_attempt,
    propose_contact,
    record_debtor_event,
)
from huikuan.core.delinquency import Movement
from huikuan.core.lifecycle import CaseState, TransitionRefused
from huikuan.core.money import format_minor
from huikuan.core.policy import policy_from_dict
from huikuan.cycle.service import run_day
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision, upgrade
from huikuan.demo.catalogue import CONSUMER_LOAN, CREDIT_CARD, ONLINE_LOAN
from huikuan.demo.service import DemoExistsError, load_demo
from huikuan.dispatch.channels import Channel, SmtpEmailChannel
from huikuan.dispatch.models import OutboxMessage
from huikuan.dispatch.sms import sms_channel_from_settings
from huikuan.dispatch.worker import RateLimiter, default_worker_id, run_worker
from huikuan.imports.mapping import ImportKind
from huikuan.imports.sample import write_sample
from huikuan.imports.service import (
    ImportRefusedError,
    ImportRequest,
    import_file,
    set_column_mapping,
)
from huikuan.kpis.cli import app as kpi_app
from huikuan.letters.channel import LetterChannel
from huikuan.logs import configure_logging, get_logger
from huikuan.messaging.cli import app as template_app
from huikuan.nightly.pipeline import OutOfOrderDayError
from huikuan.nightly.rolls import movements_between
from huikuan.nightly.service import DayReport, close_through, get_day, last_closed
from huikuan.org.models import Team
from huikuan.org.service import (
    DEFAULT_PRODUCT,
    CreditorExistsError,
    UnknownCreditorError,
    add_creditor,
    add_product,
    get_creditor,
    products_of,
)
from huikuan.reports.cli import app as report_app
from huikuan.retention.service import run_retention
from huikuan.security.crypto import generate_key, generate_spec
from huikuan.security.keystore import cipher_from_settings
from huikuan.security.rotation import rotate_all
from huikuan.settings import get_settings
from huikuan.strategy.document import Strategy, StrategyError, default_strategy, load_strategy
from huikuan.strategy.planning import assign_segments, dry_run, due_actions
from huikuan.web.serve import app as web_app

app = typer.Typer(help="Huikuan (回款): compliance-first debt collection.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
nightly_app = typer.Typer(help="The nightly portfolio run.", no_args_is_help=True)
creditor_app = typer.Typer(help="Creditors (委托方).", no_args_is_help=True)
import_app = typer.Typer(help="Files from creditors (导入).", no_args_is_help=True)
sample_app = typer.Typer(help="Valid sample files in the default format.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log (审计日志).", no_args_is_help=True)
keys_app = typer.Typer(help="Field-encryption keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(nightly_app, name="nightly")
app.add_typer(creditor_app, name="creditor")
app.add_typer(import_app, name="import")
app.add_typer(sample_app, name="sample")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
compliance_app = typer.Typer(help="The compliance guard (合规检查).", no_args_is_help=True)
app.add_typer(compliance_app, name="compliance")
retention_app = typer.Typer(help="Retention and deletion (数据保留).", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
strategy_app = typer.Typer(help="Collection strategies (催收策略).", no_args_is_help=True)
app.add_typer(strategy_app, name="strategy")
cases_app = typer.Typer(help="Cases, as each user may see them (案件).", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(template_app, name="template")
app.add_typer(commission_app, name="commission")
app.add_typer(kpi_app, name="kpi")
app.add_typer(report_app, name="report")
quality_app = typer.Typer(help="QA, complaints and disputes (质检与投诉).", no_args_is_help=True)
app.add_typer(quality_app, name="quality")
app.add_typer(web_app, name="web")

console = Console()
log = get_logger("huikuan.cli")

DateOption = Annotated[
    str, typer.Option("--date", help="Business date, YYYY-MM-DD (业务日期).", show_default=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who is doing this (for the audit log).")]
OptionalDate = Annotated[
    str | None,
    typer.Option("--date", help="Business date (default: the day after the last closed day)."),
]


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
                cipher=cipher_from_settings(get_settings()),
                work_dir=Path("var/demo"),
                on_day=lambda _day: progress.advance(task),
                deliver=True,
                agents_work=True,
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
    _print_allocation(engine)
    delivered = dict(zip([c.business_date for c in result.cycles], result.deliveries, strict=False))
    for cycle in result.cycles:
        stats = delivered.get(cycle.business_date)
        console.print(
            f"日终 run-day {cycle.business_date}: planned {cycle.planned:,}, sent {cycle.sent:,}, "
            f"deferred {cycle.deferred:,}, blocked {cycle.blocked:,}, call tasks "
            f"{cycle.call_tasks:,}, letters {cycle.letters:,}, legal {cycle.legal_referrals:,}, "
            f"outsourcing notices {cycle.outsourcing_notices:,}; payments {cycle.payments:,}, "
            f"bucket changes {cycle.bucket_changes:,}"
            + (
                f"; worker delivered {stats.sent:,}, failed {stats.failed:,}, expired "
                f"{stats.expired:,}"
                if stats is not None
                else ""
            )
            + (
                "; top reasons " + ", ".join(f"{k} {v}" for k, v in cycle.top_reasons.items())
                if cycle.top_reasons
                else ""
            )
        )
    if result.deliveries:
        console.print(
            "Delivered: letters as PDF in var/demo/letters, email in var/demo/mail (Maildir), "
            "texts to the local SMS gateway."
        )
    console.print(
        "Try: huikuan cases list --as agent11 · huikuan cases list --as agent31 (agency view) · "
        "huikuan cases contact <case> --channel phone --at 2026-11-21T22:30+08:00 --as agent11 · "
        "huikuan audit verify"
    )


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


def _print_allocation(engine: Engine) -> None:
    """Open cases per team (分案结果), in-house and with the agency."""
    with transaction(engine) as session:
        rows = session.execute(
            select(Team.code, Team.name, func.count(Case.id))
            .join(Case, Case.team_id == Team.id)
            .where(Case.state.in_(WORKED_STATES))
            .group_by(Team.code, Team.name)
            .order_by(Team.code)
        ).all()
    console.print(
        "分案 Cases per team: "
        + ", ".join(f"{name} ({code}) {count:,}" for code, name, count in rows)
    )


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


def _now() -> datetime:
    """The entry point's clock: only used to stamp audit entries, never for business dates."""
    return datetime.now(UTC)


def _date_or_next_open_day(engine: Engine, text: str | None) -> date:
    if text is not None:
        return _business_date(text)
    with transaction(engine) as session:
        closed = last_closed(session)
    return closed + timedelta(days=1) if closed is not None else _now().date()


@creditor_app.command("add")
def creditor_add(
    code: str,
    name: Annotated[str, typer.Option("--name", help="The creditor's name.")],
    hotline: Annotated[
        str | None, typer.Option("--hotline", help="客服热线 printed to its debtors.")
    ] = None,
    actor: ActorOption = "system",
) -> None:
    """Register a creditor with the default product policy (新增委托方)."""
    engine = _migrated_engine()
    try:
        with transaction(engine) as session:
            creditor = add_creditor(session, code, name, actor=actor, at=_now(), hotline=hotline)
            console.print(f"creditor {creditor.code} added with product {DEFAULT_PRODUCT}")
    except (CreditorExistsError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


POLICY_TEMPLATES = {
    "credit_card": CREDIT_CARD,
    "consumer_loan": CONSUMER_LOAN,
    "online_loan": ONLINE_LOAN,
}


@creditor_app.command("product")
def creditor_product(
    creditor: str,
    code: str,
    name: Annotated[str, typer.Option("--name", help="Product name.")],
    template: Annotated[
        str, typer.Option(help="Policy template: credit_card, consumer_loan or online_loan.")
    ] = "consumer_loan",
    policy: Annotated[
        Path | None, typer.Option(help="Policy as JSON (overrides --template).")
    ] = None,
    actor: ActorOption = "system",
) -> None:
    """Add a product with its post-delinquency policy to a creditor (新增产品)."""
    engine = _migrated_engine()
    try:
        if policy is not None:
            terms = policy_from_dict(json.loads(policy.read_text(encoding="utf-8")))
        elif template in POLICY_TEMPLATES:
            terms = POLICY_TEMPLATES[template]
        else:
            raise ValueError(f"unknown template {template!r}: {', '.join(POLICY_TEMPLATES)}")
        with transaction(engine) as session:
            owner = get_creditor(session, creditor)
            if code.upper() in products_of(session, owner.id):
                raise ValueError(f"creditor {owner.code} already has product {code.upper()}")
            terms = replace(terms, code=f"{owner.code}.{code.upper()}")
            add_product(session, owner, code.upper(), name, terms)
            record(
                session,
                at=_now(),
                actor=actor,
                action="product.add",
                entity="creditor",
                entity_id=owner.id,
                detail={"product": code.upper(), "policy": terms.code},
            )
        console.print(f"product {code.upper()} added to {owner.code} (policy {terms.code})")
    except (UnknownCreditorError, ValueError, KeyError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _run_import(
    kind: ImportKind,
    file: Path,
    creditor: str | None,
    business_date: str | None,
    actor: str,
    as_json: bool,
    batch: str | None = None,
    agency: str | None = None,
    period_days: int = 90,
) -> None:
    engine = _migrated_engine()
    settings = get_settings()
    request = ImportRequest(
        path=file,
        kind=kind,
        creditor_code=creditor,
        business_date=_date_or_next_open_day(engine, business_date),
        actor=actor,
        at=_now(),
        report_dir=Path("var/reports"),
        batch_no=batch,
        agency_code=agency,
        period_days=period_days,
    )
    try:
        summary = import_file(engine, request, cipher_from_settings(settings))
    except (UnknownCreditorError, ImportRefusedError) as exc:
        if as_json:
            typer.echo(json.dumps({"kind": kind.value, "file": file.name, "error": str(exc)}))
        else:
            console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(summary.as_json(), ensure_ascii=False))
    else:
        colour = "green" if summary.ok else "red"
        console.print(f"[{colour}]{summary.message}[/{colour}]")
        console.print(
            f"rows read {summary.rows_read:,}, written {summary.written:,}, "
            f"refused {summary.refused:,}"
            + (f"; error report: {summary.error_report}" if summary.error_report else "")
        )
    if not summary.ok:
        raise typer.Exit(1)


FileArgument = Annotated[Path, typer.Argument(help="CSV (UTF-8 / GBK) or XLSX file.")]
CreditorOption = Annotated[str, typer.Option("--creditor", help="Creditor code.")]


@import_app.command("placements")
def import_placements(
    file: FileArgument,
    creditor: CreditorOption,
    business_date: OptionalDate = None,
    batch: Annotated[str | None, typer.Option(help="Placement batch number (委案批次号).")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency code, if placed out.")] = None,
    period_days: Annotated[int, typer.Option(help="Placement period (委案周期) in days.")] = 90,
    actor: ActorOption = "system",
    as_json: JsonOption = False,
) -> None:
    """New cases from a creditor's placement file (委案导入)."""
    _run_import(
        ImportKind.PLACEMENTS,
        file,
        creditor,
        business_date,
        actor,
        as_json,
        batch,
        agency,
        period_days,
    )


@import_app.command("payments")
def import_payments(
    file: FileArgument,
    creditor: Annotated[str | None, typer.Option("--creditor", help="Creditor code.")] = None,
    business_date: OptionalDate = None,
    actor: ActorOption = "system",
    as_json: JsonOption = False,
) -> None:
    """Payments made at the creditor (回款导入); posted by the next nightly run."""
    _run_import(ImportKind.PAYMENTS, file, creditor, business_date, actor, as_json)


@import_app.command("updates")
def import_updates(
    file: FileArgument,
    creditor: CreditorOption,
    business_date: OptionalDate = None,
    actor: ActorOption = "system",
    as_json: JsonOption = False,
) -> None:
    """Balance refresh from the creditor (余额更新)."""
    _run_import(ImportKind.UPDATES, file, creditor, business_date, actor, as_json)


@import_app.command("recall")
def import_recall(
    file: FileArgument,
    creditor: CreditorOption,
    business_date: OptionalDate = None,
    actor: ActorOption = "system",
    as_json: JsonOption = False,
) -> None:
    """Accounts the creditor takes back (撤案)."""
    _run_import(ImportKind.RECALL, file, creditor, business_date, actor, as_json)


def _sample(kind: ImportKind, file: Path, rows: int, seed: int) -> None:
    write_sample(file, kind, rows, seed=seed)
    console.print(f"wrote {rows:,} {kind.value} rows to {file}")


SampleRows = Annotated[int, typer.Option("--rows", help="How many rows.")]
SampleSeed = Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")]


@sample_app.command("placements")
def sample_placements(file: Path, rows: SampleRows = 100, seed: SampleSeed = 1) -> None:
    """A valid placement file (CSV or XLSX by the file name) in the default format."""
    _sample(ImportKind.PLACEMENTS, file, rows, seed)


@sample_app.command("payments")
def sample_payments(file: Path, rows: SampleRows = 100, seed: SampleSeed = 1) -> None:
    """A valid payments file for the accounts of the placement sample with the same seed."""
    _sample(ImportKind.PAYMENTS, file, rows, seed)


@sample_app.command("updates")
def sample_updates(file: Path, rows: SampleRows = 100, seed: SampleSeed = 1) -> None:
    """A valid balance-update file."""
    _sample(ImportKind.UPDATES, file, rows, seed)


@sample_app.command("recall")
def sample_recall(file: Path, rows: SampleRows = 100, seed: SampleSeed = 1) -> None:
    """A valid recall file."""
    _sample(ImportKind.RECALL, file, rows, seed)


@app.command()
def allocate(
    business_date: OptionalDate = None,
    rules: Annotated[Path | None, typer.Option(help="Allocation rules (JSON).")] = None,
    actor: ActorOption = "allocator",
    as_json: JsonOption = False,
) -> None:
    """分案: give every open case an agent by the rules, within capacity; 留案 and recalls."""
    engine = _migrated_engine()
    as_of = _date_or_next_open_day(engine, business_date)
    try:
        if rules is not None:
            table = load_rules(rules)
        else:
            with transaction(engine) as session:
                table = default_rules(team_codes(session))
        report = allocate_cases(engine, table, as_of=as_of, actor=actor, at=_now())
    except RulesError as exc:
        if as_json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
        return
    console.print(
        f"分案 {as_of}: {report.cases:,} open cases, {report.assigned:,} assigned "
        f"({report.changed:,} changed), {report.unassigned:,} unassigned, "
        f"{report.recalled:,} recalled from agencies. "
        + ", ".join(f"{k} {v:,}" for k, v in report.by_reason.items())
    )


@audit_app.command("verify")
def audit_verify(as_json: JsonOption = False) -> None:
    """Check the hash chain: any edited or deleted entry is reported (exit 1)."""
    engine = _migrated_engine()
    with transaction(engine) as session:
        breaks = audit_verify_chain(session)
        seq, _ = audit_head(session)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "entries": seq,
                    "intact": not breaks,
                    "breaks": [
                        {"seq": b.seq, "kind": b.kind.value, "message": b.message} for b in breaks
                    ],
                }
            )
        )
    elif breaks:
        for item in breaks[:20]:
            console.print(f"[red]#{item.seq} {item.kind.value}: {item.message}[/red]")
        console.print(f"[red]{len(breaks)} break(s) in {seq:,} entries[/red]")
    else:
        console.print(f"audit log intact: {seq:,} entries")
    if breaks:
        raise typer.Exit(1)


@keys_app.command("generate")
def keys_generate(key_id: str = "k1") -> None:
    """Print a new data key spec and search key for HUIKUAN_DATA_KEYS / HUIKUAN_SEARCH_KEY."""
    typer.echo(f"HUIKUAN_DATA_KEYS={generate_spec(key_id)}")
    typer.echo(f"HUIKUAN_SEARCH_KEY={generate_key()}")


AsUser = Annotated[str, typer.Option("--as", help="The user acting (their role and scope apply).")]


def _principal(engine: Engine, username: str) -> Principal:
    with transaction(engine) as session:
        try:
            return principal_for(session, username)
        except AccessDeniedError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(3) from exc


@cases_app.command("list")
def cases_list(
    as_user: AsUser,
    limit: Annotated[int, typer.Option(help="How many cases.")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """The cases this user may see, worst first; personal data masked (案件列表)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    with transaction(engine) as session:
        frame = case_list(session, principal, limit=limit, offset=offset)
    if as_json:
        typer.echo(json.dumps(frame.to_dicts(), ensure_ascii=False, default=str))
        return
    table = Table(title=f"案件 Cases visible to {as_user} ({principal.role.value})")
    for column in frame.columns:
        table.add_column(column)
    money = {"principal", "interest", "penalty", "fees", "balance"}
    for row in frame.iter_rows(named=True):
        table.add_row(
            *(
                "" if value is None else _yuan(value) if name in money else str(value)
                for name, value in row.items()
            )
        )
    Console(width=max(console.width, 180)).print(table)


@cases_app.command("reveal")
def cases_reveal(
    case_id: int,
    field: Annotated[str, typer.Argument(help="name, mobile or id_number")],
    as_user: AsUser,
    contact: Annotated[int | None, typer.Option(help="Contact point id (for mobile).")] = None,
) -> None:
    """Show one personal field unmasked if the role needs it; every reveal audited (查看明文)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    cipher = cipher_from_settings(get_settings())
    try:
        with transaction(engine) as session:
            if field == "mobile" and contact is None:
                contact = session.scalar(
                    select(ContactPoint.id)
                    .join(Case, Case.debtor_id == ContactPoint.debtor_id)
                    .where(
                        Case.id == case_id,
                        ContactPoint.owner_type == "self",
                        ContactPoint.kind == "mobile",
                    )
                    .order_by(ContactPoint.id)
                )
            value = reveal(
                session,
                principal,
                case_id,
                field,
                decrypt=lambda token, context: cipher.decrypt(token, context=context),
                at=_now(),
                contact_id=contact,
            )
    except (AccessDeniedError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    typer.echo(value)


@cases_app.command("move")
def cases_move(
    case_id: int,
    to: Annotated[str, typer.Option("--to", help="Target state, e.g. on_hold, legal, active.")],
    reason: Annotated[str, typer.Option("--reason", help="Reason code, e.g. dispute.")],
    as_user: AsUser,
    note: Annotated[str, typer.Option(help="Why, in words.")] = "",
) -> None:
    """Move a case through its life-cycle (状态变更); only allowed moves, always recorded."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    try:
        with transaction(engine) as session:
            case = get_case(session, principal, case_id)
            move_case(
                session, case, CaseState(to), reason=reason, actor=as_user, at=_now(), note=note
            )
    except (AccessDeniedError, TransitionRefused, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    console.print(f"case {case_id} → {to}")


@cases_app.command("reassign")
def cases_reassign(
    case_ids: Annotated[list[int], typer.Argument(help="Case ids.")],
    to_agent: Annotated[str, typer.Option("--to-agent", help="Username of the new agent.")],
    reason: Annotated[str, typer.Option("--reason", help="agent_left, workload, complaint …")],
    as_user: AsUser,
    note: Annotated[str, typer.Option(help="Why, in words.")] = "",
    force: Annotated[bool, typer.Option(help="Go past capacity or language checks.")] = False,
    business_date: OptionalDate = None,
) -> None:
    """调案: move cases to another agent by hand (team leads and managers)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    as_of = _date_or_next_open_day(engine, business_date)
    try:
        with transaction(engine) as session:
            table = default_rules(team_codes(session))
        changes = reassign_cases(
            engine,
            principal,
            case_ids,
            to_agent,
            rules=table,
            reason=reason,
            note=note,
            as_of=as_of,
            at=_now(),
            force=force,
        )
    except (AccessDeniedError, ReassignmentRefused, RulesError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    console.print(f"{len(changes)} case(s) re-assigned to {to_agent}")


@keys_app.command("rotate")
def keys_rotate(actor: ActorOption = "system") -> None:
    """Re-encrypt stored personal data under the current (first) key of HUIKUAN_DATA_KEYS."""
    engine = _migrated_engine()
    cipher = cipher_from_settings(get_settings())
    counts = rotate_all(engine, cipher)
    with transaction(engine) as session:
        record(
            session,
            at=_now(),
            actor=actor,
            action="keys.rotate",
            entity="keys",
            entity_id=cipher.ring.current_id,
            detail={"rewritten": counts},
        )
    console.print(
        f"re-encrypted under {cipher.ring.current_id}: "
        + ", ".join(f"{name} {count:,}" for name, count in counts.items())
    )


@creditor_app.command("mapping")
def creditor_mapping(
    creditor: str,
    pairs: Annotated[
        list[str], typer.Argument(help="HEADER=field pairs, e.g. 客户名称=name (field '' ignores).")
    ],
    actor: ActorOption = "system",
) -> None:
    """Set a creditor's own column headers for its files (列名映射)."""
    engine = _migrated_engine()
    overrides = {}
    for pair in pairs:
        header, separator, field = pair.partition("=")
        if not separator or not header.strip():
            console.print(f"[red]{pair!r} is not HEADER=field[/red]")
            raise typer.Exit(1)
        overrides[header.strip()] = field.strip()
    try:
        with transaction(engine) as session:
            owner = get_creditor(session, creditor)
            set_column_mapping(session, owner, overrides)
            record(
                session,
                at=_now(),
                actor=actor,
                action="mapping.set",
                entity="creditor",
                entity_id=owner.id,
                detail={"overrides": overrides},
            )
    except (UnknownCreditorError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"{len(overrides)} header mapping(s) stored for {creditor.upper()}")


@cases_app.command("find")
def cases_find(
    as_user: AsUser,
    id_number: Annotated[str | None, typer.Option(help="Resident ID number.")] = None,
    mobile: Annotated[str | None, typer.Option(help="Mobile number.")] = None,
) -> None:
    """Find cases by ID number or mobile, through the keyed hash (never a plaintext search)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    cipher = cipher_from_settings(get_settings())
    if (id_number is None) == (mobile is None):
        console.print("[red]give exactly one of --id-number or --mobile[/red]")
        raise typer.Exit(1)
    with transaction(engine) as session:
        if id_number is not None:
            digest = cipher.search_hash(id_number, kind="id_number")
            debtors = select(Debtor.id).where(Debtor.id_number_hash == digest)
        else:
            digest = cipher.search_hash(str(mobile), kind="phone")
            debtors = select(ContactPoint.debtor_id).where(ContactPoint.value_hash == digest)
        found = session.execute(
            select(Case.id, Case.case_no, Case.state)
            .where(Case.debtor_id.in_(debtors), case_filter(principal))
            .order_by(Case.id)
        ).all()
        record(
            session,
            at=_now(),
            actor=as_user,
            action="case.search",
            entity="case",
            entity_id="search",
            detail={"by": "id_number" if id_number else "mobile", "hits": len(found)},
        )
    for case_id, case_no, state in found:
        typer.echo(f"{case_id}\t{case_no}\t{state}")
    if not found:
        console.print("no case in your scope matches")


@cases_app.command("keep")
def cases_keep(
    case_id: int,
    until: Annotated[str, typer.Option("--until", help="Keep with its agent until YYYY-MM-DD.")],
    as_user: AsUser,
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """留案: keep a case with its agent past re-allocation and placement end, until a date."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    if principal.role not in REASSIGN_ROLES:
        console.print(f"[red]role {principal.role.value} may not keep cases[/red]")
        raise typer.Exit(3)
    keep_until = _business_date(until)
    try:
        with transaction(engine) as session:
            case = get_case(session, principal, case_id)
            case.keep_until = keep_until
            record(
                session,
                at=_now(),
                actor=as_user,
                action="case.keep",
                entity="case",
                entity_id=case_id,
                detail={"until": keep_until.isoformat(), "note": note},
            )
    except AccessDeniedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    console.print(f"case {case_id} kept with its agent until {keep_until}")


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option(help="Stop when nothing is due (otherwise keep polling).")
    ] = False,
    batch: Annotated[int, typer.Option(help="Messages claimed per batch.")] = 100,
    rate: Annotated[float | None, typer.Option(help="Messages per second for this worker.")] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Messages with providers at once (sending threads).")
    ] = 8,
) -> None:
    """Drain the outbox: send due messages exactly once, retry, expire, record receipts."""
    engine = _migrated_engine()
    settings = get_settings()
    cipher = cipher_from_settings(settings)
    channels: dict[str, Channel] = {
        "email": SmtpEmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            timeout=settings.smtp_timeout,
        ),
        "letter": LetterChannel(
            settings.letter_spool_dir,
            lambda token: cipher.decrypt(token, context="debtor.name"),
        ),
    }
    try:
        # One HTTP client for every text: the worker's threads share it (httpx is thread-safe).
        sms = sms_channel_from_settings(settings, httpx.Client(timeout=settings.sms_timeout))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if sms is not None:
        channels["sms"] = sms

    def reveal(message: OutboxMessage) -> str:
        # Recipients are stored encrypted like every contact point; plain tokens pass through.
        token = message.recipient
        return cipher.decrypt(token, context="contact.value") if token.startswith("v1:") else token

    limiter = RateLimiter({settings.smtp_sender: rate}) if rate else None
    stats = run_worker(
        engine,
        channels,
        default_worker_id(),
        _now,
        batch=batch,
        reveal=reveal,
        rate_limiter=limiter,
        stop_when_idle=once,
        concurrency=concurrency,
        # Letters render PDFs (CPU under the GIL; Pango has a history of thread-safety
        # crashes): one at a time, while texts and emails overlap.
        serial_channels={"letter"},
    )
    console.print(
        f"worker: claimed {stats.claimed}, sent {stats.sent}, retried {stats.retried}, "
        f"failed {stats.failed}, expired {stats.expired}, in doubt {stats.in_doubt}"
    )


def _strategy(path: Path | None) -> Strategy:
    try:
        return load_strategy(path) if path is not None else default_strategy()
    except StrategyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


StrategyOption = Annotated[Path | None, typer.Option("--strategy", help="Strategy YAML.")]


@strategy_app.command("validate")
def strategy_validate(file: Path) -> None:
    """Check a strategy document; every mistake is listed with its path and line."""
    strategy = _strategy(file)
    console.print(
        f"{strategy.code} v{strategy.version}: {len(strategy.segments)} segments, "
        f"{len(strategy.treatments)} treatments, arms "
        + ", ".join(f"{arm.code} {arm.share}%" for arm in strategy.arms)
    )


@strategy_app.command("dry-run")
def strategy_dry_run(
    business_date: DateOption, strategy_file: StrategyOption = None, as_json: JsonOption = False
) -> None:
    """Which segment every open account falls into, and the actions due on --date (演练)."""
    as_of = _business_date(business_date)
    strategy = _strategy(strategy_file)
    engine = _migrated_engine()
    with transaction(engine) as session:
        accounts = load_accounts(session).filter(pl.col("status") == "open")
    run = dry_run(accounts, strategy)
    actions = due_actions(assign_segments(accounts, strategy), strategy, as_of)
    by_channel = dict(actions.group_by("channel").len().iter_rows())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "strategy": f"{strategy.code}@{strategy.version}",
                    "segments": run.segments.to_dicts(),
                    "unmatched": len(run.unmatched),
                    "actions": {str(k): int(v) for k, v in by_channel.items()},
                },
                ensure_ascii=False,
                default=str,
            )
        )
        return
    for row in run.segments.iter_rows(named=True):
        name = row["segment"] or "(unmatched)"
        console.print(f"{name}: {row['accounts']:,} accounts, {_yuan(row['balance'])}")
    console.print(
        f"actions due {as_of}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_channel.items()))
    )


@app.command("run-day")
def run_day_command(
    business_date: DateOption,
    strategy_file: StrategyOption = None,
    rules: Annotated[Path | None, typer.Option(help="Allocation rules (JSON).")] = None,
    as_json: JsonOption = False,
) -> None:
    """The daily cycle: ingest → nightly → allocate → plan through the guard → outbox (日终)."""
    as_of = _business_date(business_date)
    strategy = _strategy(strategy_file)
    engine = _migrated_engine()
    try:
        if rules is not None:
            table = load_rules(rules)
        else:
            with transaction(engine) as session:
                table = default_rules(team_codes(session))
        report = run_day(engine, as_of, strategy=strategy, rules=table)
    except (RulesError, OutOfOrderDayError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
        return
    console.print(
        f"{as_of}{' (already ran)' if report.already_ran else ''}: planned {report.planned:,}, "
        f"sent {report.sent:,}, deferred {report.deferred:,}, blocked {report.blocked:,}; "
        f"call tasks {report.call_tasks:,}, letters {report.letters:,}, "
        f"legal referrals {report.legal_referrals:,}; payments {report.payments:,}, "
        f"accrued {_yuan(report.accrued)}, bucket changes {report.bucket_changes:,}"
    )
    if report.top_reasons:
        console.print(
            "top reasons: " + ", ".join(f"{k} {v:,}" for k, v in report.top_reasons.items())
        )


@retention_app.command("run")
def retention_run(
    business_date: DateOption, actor: ActorOption = "retention", as_json: JsonOption = False
) -> None:
    """End agency placements past their period and anonymise personal data past retention."""
    engine = _migrated_engine()
    report = run_retention(engine, as_of=_business_date(business_date), actor=actor, at=_now())
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    console.print(
        f"retention {report.as_of}: {report.placements_ended} agency placement(s) ended "
        f"({report.cases_returned_from_agencies:,} cases returned), "
        f"{report.debtors_anonymised:,} debtor(s) anonymised, "
        f"{report.contact_points_deleted:,} contact point(s) deleted"
    )


@compliance_app.command("check")
def compliance_check(
    file: Annotated[Path, typer.Argument(help="A contact-check request (JSON).")],
    explain_it: Annotated[bool, typer.Option("--explain", help="Explain it for a person.")] = False,
) -> None:
    """Check one proposed contact; prints the verdict JSON (exit 0 allowed or not)."""
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        request = parse_request(raw)
    except (OSError, json.JSONDecodeError, RequestError) as exc:
        typer.echo(f"cannot read the request: {exc}", err=True)
        raise typer.Exit(2) from exc
    verdict = check_contact(request, default_packs())
    if explain_it:
        typer.echo(explain(verdict))
    else:
        typer.echo(json.dumps(verdict.as_json(), ensure_ascii=False))


@compliance_app.command("packs")
def compliance_packs(as_json: JsonOption = False) -> None:
    """The rule packs in force and their rule ids."""
    summary = pack_summary()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"pack": code, "version": version, "jurisdiction": j, "rules": rules}
                    for code, version, j, rules in summary
                ],
                ensure_ascii=False,
            )
        )
        return
    for code, version, jurisdiction, rules in summary:
        console.print(f"[bold]{code}[/bold] {version} ({jurisdiction}): {len(rules)} rules")
        for rule_id in rules:
            console.print(f"  {rule_id}")


@cases_app.command("contact")
def cases_contact(
    case_id: int,
    channel: Annotated[str, typer.Option(help="phone, sms, email, letter, visit, im")],
    as_user: AsUser,
    at: Annotated[
        str, typer.Option(help="When, ISO 8601 with offset, e.g. 2026-11-21T10:00+08:00.")
    ],
    contact: Annotated[int | None, typer.Option(help="Contact point id.")] = None,
    outcome: Annotated[
        str | None, typer.Option(help="Result if made: unanswered, conversation …")
    ] = None,
    purpose: Annotated[
        str, typer.Option(help="collection, locate_or_relay_message …")
    ] = "collection",
    call_type: Annotated[str | None, typer.Option(help="agent, voice_notice, robot")] = None,
    content: Annotated[str | None, typer.Option(help="Message text (screened).")] = None,
    collectors: Annotated[int | None, typer.Option(help="Collectors on a field visit.")] = None,
) -> None:
    """Ask the guard, then record the attempt with its decision (联系前合规检查)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    try:
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("--at needs a UTC offset, e.g. +08:00")
        with transaction(engine) as session:
            proposal = propose_contact(
                session,
                principal,
                case_id,
                ProposedContact(
                    at=moment,
                    channel=channel,
                    contact_point_id=contact,
                    purpose=purpose,
                    call_type=call_type,
                    content=content,
                    collector_count=collectors,
                ),
                outcome=outcome,
            )
    except (AccessDeniedError, ValueError, RequestError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    typer.echo(explain(proposal.verdict))
    if not proposal.verdict.allowed:
        raise typer.Exit(4)


@cases_app.command("record")
def cases_record(
    case_id: int,
    event: Annotated[str, typer.Option(help="One event in the request format, as JSON.")],
    as_user: AsUser,
) -> None:
    """Record a consent, opt-out, designation or notice the guard must honour (登记同意/拒绝)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    try:
        raw = json.loads(event)
        if not isinstance(raw, dict):
            raise RequestError("event: expected a JSON object")
        with transaction(engine) as session:
            stored = record_debtor_event(session, principal, case_id, raw)
            console.print(f"event {stored.id} ({stored.channel}) recorded for case {case_id}")
    except (AccessDeniedError, RequestError, json.JSONDecodeError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc


@cases_app.command("override")
def cases_override(
    attempt_id: int,
    reason: Annotated[
        str,
        typer.Option(
            help="legal_requirement, litigation, consumer_request, time_critical_warning, "
            "dropped_call"
        ),
    ],
    as_user: AsUser,
    note: Annotated[str, typer.Option(help="Why, in words.")] = "",
) -> None:
    """A supervisor lets a presumed violation go ahead, with a reason code (主管复核放行)."""
    engine = _migrated_engine()
    principal = _principal(engine, as_user)
    try:
        with transaction(engine) as session:
            override_attempt(
                session, principal, attempt_id, reason_code=reason, at=_now(), note=note
            )
    except (AccessDeniedError, OverrideRefusedError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    console.print(f"attempt {attempt_id} overridden ({reason}) by {as_user}")


if __name__ == "__main__":
    app()


@quality_app.command("escalate")
def quality_escalate(
    at: Annotated[
        str | None, typer.Option(help="The moment to judge SLAs at (ISO, default: now).")
    ] = None,
) -> None:
    """Mark complaints past their SLA escalated (run from cron; prints ids only)."""
    from huikuan.quality.service import escalate_overdue

    moment = datetime.fromisoformat(at) if at else _now()
    if moment.tzinfo is None:
        raise typer.BadParameter("--at needs a UTC offset, e.g. 2026-11-21T09:00+08:00")
    engine = _migrated_engine()
    with transaction(engine) as session:
        escalated = escalate_overdue(session, moment, actor="cli")
    console.print(f"escalated {len(escalated)} complaint(s): {escalated}")
