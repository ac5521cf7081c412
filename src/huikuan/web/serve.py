"""Running the web app: settings → engine and cipher → app → uvicorn on 127.0.0.1.

Data flow: :func:`serve` reads :class:`~huikuan.settings.Settings`, refuses to start on a
database whose schema is not the latest (``huikuan db upgrade`` first), builds the field cipher
the same way the CLI does, takes the cookie-signing key from ``HUIKUAN_SECRET_KEY`` (or, for
development only, a key file under ``var/``), optionally gives the demo users their passwords
and prints them, and hands the app to uvicorn. ``app`` is a Typer app with the ``serve``
command for the main CLI to mount.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint
from huikuan.cases.models import Case, Plan
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import current_revision, head_revision
from huikuan.logs import configure_logging, get_logger
from huikuan.payments.config import PayConfig
from huikuan.payments.config import configure as configure_payments
from huikuan.payments.provider_fakes import start_fakes
from huikuan.portal.tokens import authenticate
from huikuan.security.app_secret import DEV_SECRET_FILE, app_secret_key
from huikuan.security.app_secret import SECRET_ENV as SECRET_ENV  # tests set it by this name
from huikuan.security.crypto import FieldCipher
from huikuan.security.keystore import cipher_from_settings
from huikuan.selfservice.links import case_link_maker
from huikuan.settings import Settings, get_settings
from huikuan.web.app import create_app
from huikuan.web.demo_users import seed_demo_users
from huikuan.web.deps import BUSINESS_TZ

log = get_logger("huikuan.web")
app = typer.Typer(help="The staff web app (工作台).", no_args_is_help=True)


class SchemaNotCurrentError(RuntimeError):
    """The database is not at the latest migration."""


def secret_key(path: Path = DEV_SECRET_FILE) -> str:
    """The cookie-signing key: the environment's, else a development key kept in ``path``."""
    return app_secret_key(path)


DEMO_INBOX = Path("var/demo/inbox")


def demo_debtor_lines(
    engine: Engine, cipher: FieldCipher, secret: str, settings: Settings, today: date
) -> list[str]:
    """A debtor link to try the debtor's own page with, and the (synthetic) number to type.

    The demo debtor is the first active case 90+ days past due (so settlements are offered)
    without a plan, whose debtor has a valid mobile of their own.
    """
    with transaction(engine) as session:
        found = session.execute(
            select(Case.id, ContactPoint.value_enc)
            .join(ContactPoint, ContactPoint.debtor_id == Case.debtor_id)
            .where(
                Case.state == "active",
                Case.dpd >= 90,
                ContactPoint.owner_type == "self",
                ContactPoint.kind == "mobile",
                ContactPoint.status != "invalid",
                ~select(Plan.id).where(Plan.case_id == Case.id).exists(),
            )
            .order_by(Case.id)
            .limit(1)
        ).first()
    if found is None:
        return []
    link = case_link_maker(settings.public_base_url, secret)(found[0], today)
    phone = cipher.decrypt(found[1], context="contact.value")
    inbox = f"{settings.public_base_url.rstrip('/')}/d-inbox"
    return [
        "Debtor's own page (债务人自助, synthetic demo debtor):",
        f"  {link}",
        f"  type the mobile on file: {phone}; the one-time code appears at {inbox}",
    ]


def _demo_stand_ins(host: str, port: int) -> None:
    """What the demo cannot reach from here, stood in for on this machine: the debtors' phones
    (one-time codes go to a folder the ``/d-inbox`` page lists) and the payment providers
    (local servers that speak Alipay's and WeChat Pay's protocols and call our notify URL).
    Set in the environment so every server process (uvicorn's workers) reads the same."""
    here = f"http://{host}:{port}"
    os.environ.setdefault("HUIKUAN_DEMO_INBOX_DIR", str(DEMO_INBOX))
    os.environ.setdefault("HUIKUAN_PUBLIC_BASE_URL", here)
    os.environ.setdefault("HUIKUAN_PAY_NOTIFY_BASE_URL", here)
    get_settings.cache_clear()
    if os.environ.get("HUIKUAN_PAY_ALIPAY_GATEWAY"):
        return  # real (or other) providers configured: leave them be
    fakes = start_fakes(PayConfig(notify_base_url=os.environ["HUIKUAN_PAY_NOTIFY_BASE_URL"]))
    os.environ.update(fakes.env())
    configure_payments(fakes.config)
    print(
        f"Payment providers (local stand-ins): {fakes.config.alipay_gateway} (Alipay), "
        f"{fakes.config.wechat_api_base} (WeChat Pay)"
    )


def build_app(settings: Settings, *, demo_users: bool = False) -> tuple[FastAPI, list[str]]:
    """The app for ``settings`` and, with ``demo_users``, the sign-in lines to print."""
    engine = make_engine(settings.database_url)
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaNotCurrentError(
            f"the database schema is at {current or 'nothing'}, the latest is {head}: "
            "run `huikuan db upgrade` first"
        )
    lines: list[str] = []
    if demo_users:
        with transaction(engine) as session:
            seeded = seed_demo_users(session)
        lines = [f"  {role:<16} {username} / {password}" for username, role, password in seeded]
        lines += demo_debtor_lines(
            engine,
            cipher_from_settings(settings),
            secret_key(),
            settings,
            datetime.now(UTC).astimezone(BUSINESS_TZ).date(),
        )
    web = create_app(
        engine,
        cipher_from_settings(settings),
        secret_key=secret_key(),
        bearer_authenticator=authenticate,
    )
    return web, lines


def settings_app() -> FastAPI:
    """The app from settings, for each process of a multi-worker server (uvicorn's factory)."""
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    web, _ = build_app(settings)
    return web


def serve(
    host: str = "127.0.0.1", port: int = 8000, *, demo_users: bool = False, workers: int = 1
) -> None:
    if demo_users:
        _demo_stand_ins(host, port)
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    web, lines = build_app(settings, demo_users=demo_users)
    if lines:
        print("Demo sign-ins (role, username / password):")
        print("\n".join(lines))
    print(f"Huikuan workbench: http://{host}:{port}/")
    if workers > 1:  # one process per core; each builds its own app from the same settings
        secret_key()  # the development key file exists before the workers read it
        uvicorn.run(
            "huikuan.web.serve:settings_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=False,
            server_header=False,
        )
        return
    uvicorn.run(web, host=host, port=port, proxy_headers=False, server_header=False)


@app.callback()
def main() -> None:
    """The staff web app (工作台)."""


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo_users: Annotated[
        bool, typer.Option("--demo-users", help="Give each role's demo user its demo password.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Server processes (one per core).", min=1)] = 1,
) -> None:
    """Serve the staff web app (工作台) until interrupted."""
    try:
        serve(host, port, demo_users=demo_users, workers=workers)
    except SchemaNotCurrentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
