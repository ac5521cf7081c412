"""Request-scoped resources shared by every route: the database session and the app's config.

Data flow: ``create_app`` puts a :class:`WebConfig`, the engine and the field cipher on
``app.state`` → :func:`db_session` opens one unit of work per request (committed when the route
returns, rolled back if it raises, before the response is sent) → routes declare
``session: DbSession`` instead of repeating ``Depends`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from huikuan.db.engine import transaction
from huikuan.db.ids import ROW_ID_MAX
from huikuan.security.crypto import FieldCipher

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Everything the web layer needs besides the engine and cipher; tests pass their own."""

    secret_key: str
    # A signed-in session ends after this long without a request (sliding) …
    idle_timeout: timedelta = timedelta(minutes=30)
    # … and after this long in any case: a stolen cookie does not live forever.
    absolute_timeout: timedelta = timedelta(hours=12)
    # Set behind HTTPS (production); local http://127.0.0.1 needs it off.
    secure_cookies: bool = False
    # The web app is an entry point: the only place that reads the clock, and only through here.
    clock: Callable[[], datetime] = field(default=utc_now)
    # The last business day the daily cycle ran, on or before a date (None: it has not run).
    last_cycle_day: Callable[[date], date | None] | None = None

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def business_date(self) -> date:
        """The day the work list is for: the last day the daily cycle ran (its call tasks and
        promises), never after today where the collection centre works; today before any."""
        today = self.clock().astimezone(BUSINESS_TZ).date()
        ran = self.last_cycle_day(today) if self.last_cycle_day is not None else None
        return ran or today


def web_config(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.config
    return config


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def cipher_of(request: Request) -> FieldCipher:
    cipher: FieldCipher = request.app.state.cipher
    return cipher


def db_session(request: Request) -> Iterator[Session]:
    with transaction(engine_of(request)) as session:
        yield session


# scope="function": the transaction ends (commits) before the response goes out, so a user
# never sees "saved" for a change whose commit then failed.
DbSession = Annotated[Session, Depends(db_session, scope="function")]
Config = Annotated[WebConfig, Depends(web_config)]
Cipher = Annotated[FieldCipher, Depends(cipher_of)]
# Row ids are 64-bit: anything larger can only be a mistake (or a fuzzer), answered 422.
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]
CaseId = RowId
RowIdQuery = Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)]
