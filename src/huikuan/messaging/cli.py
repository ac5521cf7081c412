"""``huikuan template …``: list, show, save (screened), activate and render message templates.

Reads the settings and opens the engine the way the main CLI does, refuses to run on a schema
that is not the latest, and does each command in one transaction. ``save`` prints the screen
report and exits 1 when the template is refused; nothing is written then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision
from huikuan.logs import configure_logging
from huikuan.messaging.catalogue import install_defaults
from huikuan.messaging.service import (
    SaveResult,
    TemplateNotFoundError,
    TemplateRenderError,
    activate_template,
    as_utc,
    get_template,
    list_templates,
    render,
    save_template,
)
from huikuan.settings import get_settings

app = typer.Typer(help="Message templates (消息模板).", no_args_is_help=True)
console = Console()

LanguageOption = Annotated[str, typer.Option("--language", help="zh or en.")]
JurisdictionOption = Annotated[str, typer.Option("--jurisdiction", help="CN or US.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who is doing this (for the audit log).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on the configured database; refuses a schema that is not the latest.

    The engine is disposed afterwards, so no pooled connection outlives the command.
    """
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
    finally:
        engine.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("list")
def list_command(
    all_versions: Annotated[bool, typer.Option("--all", help="Retired versions too.")] = False,
) -> None:
    """The active and draft templates (所有模板)."""
    with _session() as session:
        rows = list_templates(session, all_versions=all_versions)
        table = Table("code", "language", "jurisdiction", "channel", "version", "status", "by")
        for row in rows:
            table.add_row(
                row.code,
                row.language,
                row.jurisdiction,
                row.channel,
                str(row.version),
                row.status,
                row.created_by,
            )
    console.print(table)


@app.command("show")
def show(
    code: str,
    language: LanguageOption = "zh",
    jurisdiction: JurisdictionOption = "CN",
    version: Annotated[
        int | None, typer.Option("--version", help="Default: the active one.")
    ] = None,
) -> None:
    """One template's source and its screen report (查看模板)."""
    try:
        with _session() as session:
            row = get_template(session, code, language, jurisdiction=jurisdiction, version=version)
            console.print(
                f"{row.code} v{row.version} {row.language}/{row.jurisdiction} {row.channel} "
                f"[{row.status}] by {row.created_by} at {as_utc(row.created_at).isoformat()}",
                markup=False,
            )
            if row.subject:
                console.print(f"subject: {row.subject}", markup=False)
            console.print(row.body, markup=False)
            console.print(json.dumps(row.screen_report, ensure_ascii=False, indent=2), markup=False)
    except TemplateNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def _print_report(result: SaveResult) -> None:
    for hit in result.hits:
        console.print(f"hit: {json.dumps(hit, ensure_ascii=False)}", markup=False)
    for item in result.disclosures:
        mark = "ok" if item.passed else "MISSING"
        console.print(
            f"disclosure {item.code}: {mark} ({item.title} / {item.title_zh})", markup=False
        )
    for problem in result.problems:
        console.print(f"refused: {problem.message}", style="red", markup=False)
        console.print(f"拒绝：{problem.message_zh}", style="red", markup=False)


@app.command("save")
def save(
    code: str,
    channel: Annotated[str, typer.Option("--channel", help="sms, email, letter or call_script.")],
    language: LanguageOption,
    jurisdiction: JurisdictionOption,
    file: Annotated[Path, typer.Option("--file", help="The body (Jinja2 source, UTF-8).")],
    subject: Annotated[str, typer.Option("--subject", help="Subject (Jinja2 source).")] = "",
    activate: Annotated[bool, typer.Option("--activate", help="Make it the active one.")] = False,
    actor: ActorOption = "cli",
    as_json: JsonOption = False,
) -> None:
    """Screen a template and save it as a new version (保存模板); exit 1 when refused."""
    body = file.read_text(encoding="utf-8")
    with _session() as session:
        result = save_template(
            session,
            actor,
            code,
            channel,
            language,
            jurisdiction,
            subject,
            body,
            activate=activate,
            at=_now(),
        )
    if as_json:
        payload = {
            "saved": result.saved,
            "template_id": result.template_id,
            "version": result.version,
            "status": result.status,
            "report": result.report,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        _print_report(result)
        if result.saved:
            console.print(f"saved {code} v{result.version} ({result.status})")
    if result.refused:
        raise typer.Exit(1)


@app.command("activate")
def activate(
    code: str, version: int, language: LanguageOption = "zh", actor: ActorOption = "cli"
) -> None:
    """Make a draft version the active one (启用模板)."""
    try:
        with _session() as session:
            row = activate_template(session, actor, code, language, version, at=_now())
            console.print(f"{row.code} v{row.version} is active")
    except (TemplateNotFoundError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command("render")
def render_command(
    code: str,
    values: Annotated[str, typer.Option("--values", help='JSON object, e.g. {"dpd": 3}.')],
    language: LanguageOption = "zh",
    jurisdiction: JurisdictionOption = "CN",
) -> None:
    """Render the active version with the values given (预览)."""
    try:
        parsed = json.loads(values)
        if not isinstance(parsed, dict):
            raise ValueError("--values must be a JSON object")
        with _session() as session:
            rendered = render(session, code, language, parsed, jurisdiction=jurisdiction)
    except (TemplateNotFoundError, TemplateRenderError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if rendered.subject:
        typer.echo(rendered.subject)
    typer.echo(rendered.body)


@app.command("install-defaults")
def install_defaults_command(actor: ActorOption = "system") -> None:
    """Save the built-in templates that are not active yet (安装默认模板)."""
    with _session() as session:
        saved = install_defaults(session, actor, at=_now())
    console.print(f"{saved} template version(s) saved")
