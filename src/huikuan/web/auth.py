"""Signing in, sessions, CSRF and who the caller is.

Data flow of a browser request:

1. The session middleware (:mod:`huikuan.web.app`) reads the ``huikuan_session`` cookie with
   :class:`SessionCodec`: a signed (itsdangerous), timestamped :class:`WebSession` holding a
   random session id, the username (``None`` before sign-in) and the session's CSRF token. A
   bad signature, an idle session or one past its absolute lifetime reads as no session.
2. :func:`verify_csrf` (an app-wide dependency) refuses every unsafe method whose
   ``X-CSRF-Token`` header or ``csrf_token`` form field does not match the session's token;
   requests with a bearer token carry no ambient credential and skip it, as do the provider
   webhooks under :data:`CSRF_EXEMPT_PREFIXES` (they check the provider's signature instead).
3. :func:`current_principal` turns the session's username (or a bearer token, through the
   :data:`BearerAuthenticator` hook the creditor API will plug in) into an
   :class:`~huikuan.access.policy.Principal`; :func:`require_roles` narrows by role.
4. The middleware re-signs the cookie on the way out, which is what makes expiry "idle".

Signing in (:func:`authenticate`) checks the throttle (failures in ``login_failures``, so all
workers count the same), verifies the argon2 hash (against a dummy hash for unknown users, so
both cases take the same time and give the same message), and on success starts a *new*
session (new id and CSRF token: no session fixation).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, principal_for
from huikuan.audit.service import record
from huikuan.org.models import Role, User
from huikuan.web.deps import Config, DbSession, WebConfig
from huikuan.web.models import LoginFailure
from huikuan.web.rendering import render

SESSION_COOKIE = "huikuan_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Paths that servers (SMS providers) call: no browser session, so no ambient credential to
# protect; each route there authenticates the caller itself (signature or shared secret).
CSRF_EXEMPT_PREFIXES: tuple[str, ...] = ("/hooks/",)

BearerAuthenticator = Callable[[Session, str], Principal | None]
"""Hook for token-based API clients (the creditor API): the principal a bearer token stands
for, or ``None`` when the token is unknown, expired or revoked. Passed to ``create_app``."""


# ---------------------------------------------------------------------------------------------
# Passwords


def default_hasher() -> PasswordHasher:
    """argon2id with the library's current recommended parameters (RFC 9106 low-memory)."""
    return PasswordHasher()


def hash_password(password: str, hasher: PasswordHasher | None = None) -> str:
    return (hasher or default_hasher()).hash(password)


class PasswordChecker:
    """Verifies passwords in constant-ish time whether or not the user exists."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        # Hashed once per app: unknown users are checked against it so they cost the same.
        self._dummy = hasher.hash(secrets.token_urlsafe(16))

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self.hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


# ---------------------------------------------------------------------------------------------
# Throttling


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    per_user: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    keep: timedelta = timedelta(days=1)  # failures older than this are pruned


DEFAULT_THROTTLE = ThrottlePolicy()


def _locked_since(times: Sequence[datetime], limit: int, window: timedelta) -> datetime | None:
    """The latest moment at which ``limit`` failures fell within ``window``, if any.

    >>> from datetime import datetime as dt
    >>> t = [dt(2026, 1, 1, 9, m) for m in (0, 1, 2, 3, 4)]
    >>> _locked_since(t, 5, timedelta(minutes=15))
    datetime.datetime(2026, 1, 1, 9, 4)
    >>> _locked_since(t[:4], 5, timedelta(minutes=15)) is None
    True
    """
    ordered = sorted(times)
    for end in range(len(ordered) - 1, limit - 2, -1):
        if ordered[end] - ordered[end - limit + 1] <= window:
            return ordered[end]
    return None


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def is_throttled(
    session: Session, username: str, ip: str, now: datetime, policy: ThrottlePolicy
) -> bool:
    """True while a lockout started by too many failures (per username or per IP) runs."""
    since = now - policy.window - policy.lockout
    for column, value, limit in (
        (LoginFailure.username, username, policy.per_user),
        (LoginFailure.ip, ip, policy.per_ip),
    ):
        times = [
            _aware(at, now)
            for at in session.scalars(
                select(LoginFailure.at).where(column == value, LoginFailure.at >= since)
            )
        ]
        if len(times) < limit:
            continue
        started = _locked_since(times, limit, policy.window)
        if started is not None and now < started + policy.lockout:
            return True
    return False


def record_failure(
    session: Session, username: str, ip: str, now: datetime, policy: ThrottlePolicy
) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - policy.keep))
    session.add(LoginFailure(at=now, username=username, ip=ip))
    session.flush()


def failure_count(session: Session, username: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)
        )
        or 0
    )


class LoginOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    THROTTLED = "throttled"


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    checker: PasswordChecker,
    policy: ThrottlePolicy = DEFAULT_THROTTLE,
) -> tuple[LoginOutcome, Principal | None]:
    """Check a sign-in; the outcome never tells whether ``username`` exists."""
    name = username.strip().lower()[:64]
    user = session.scalars(select(User).where(func.lower(User.username) == name)).one_or_none()
    stored = user.password_hash if user is not None and user.active else None
    # The hash is checked even when throttled or unknown, so timing tells nothing either.
    good = checker.verify(stored, password)
    if is_throttled(session, name, ip, now, policy):
        return LoginOutcome.THROTTLED, None
    if not good or user is None or stored is None:
        record_failure(session, name, ip, now, policy)
        return LoginOutcome.FAILED, None
    if checker.needs_rehash(stored):
        user.password_hash = checker.hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    return LoginOutcome.OK, principal_for(session, user.username)


# ---------------------------------------------------------------------------------------------
# Sessions


@dataclass(frozen=True, slots=True)
class WebSession:
    sid: str
    username: str | None
    csrf: str
    issued_at: int  # epoch seconds of sign-in (or of the anonymous session's start)

    @classmethod
    def start(cls, username: str | None, now: datetime) -> WebSession:
        return cls(
            sid=secrets.token_urlsafe(24),
            username=username,
            csrf=secrets.token_urlsafe(32),
            issued_at=int(now.timestamp()),
        )


def _signer_with(clock: Callable[[], datetime]) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockedSigner


class SessionCodec:
    """Signs sessions into cookie values and reads them back, enforcing both timeouts."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._serializer = URLSafeTimedSerializer(
            config.secret_key, salt="huikuan.web.session", signer=_signer_with(config.now)
        )

    def dumps(self, web: WebSession) -> str:
        payload = {"sid": web.sid, "u": web.username, "csrf": web.csrf, "iat": web.issued_at}
        return str(self._serializer.dumps(payload))

    def loads(self, value: str | None) -> WebSession | None:
        if not value:
            return None
        idle = int(self.config.idle_timeout.total_seconds())
        try:
            data: Any = self._serializer.loads(value, max_age=idle)
        except BadSignature:  # also SignatureExpired: idle for too long
            return None
        try:
            web = WebSession(
                sid=str(data["sid"]),
                username=None if data["u"] is None else str(data["u"]),
                csrf=str(data["csrf"]),
                issued_at=int(data["iat"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        lifetime = self.config.now().timestamp() - web.issued_at
        if lifetime > self.config.absolute_timeout.total_seconds():
            return None
        return web


def session_of(request: Request) -> WebSession | None:
    web: WebSession | None = getattr(request.state, "web_session", None)
    return web


def ensure_session(request: Request, config: WebConfig) -> WebSession:
    """The visitor's session, starting an anonymous one (for the login form's CSRF token)."""
    web = session_of(request)
    if web is None:
        web = WebSession.start(None, config.now())
        request.state.web_session = web
    return web


# ---------------------------------------------------------------------------------------------
# CSRF and the principal


class NotAuthenticatedError(Exception):
    """No valid session or token: pages redirect to /login, the API answers 401."""


class CsrfError(Exception):
    """An unsafe request without the session's CSRF token: answered 403."""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def verify_csrf(request: Request) -> None:
    """App-wide: unsafe methods need the session's CSRF token (header or form field)."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    if request.url.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    web = session_of(request)
    supplied = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if supplied is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        supplied = field if isinstance(field, str) else None
    if web is None or not supplied or not hmac.compare_digest(supplied, web.csrf):
        raise CsrfError


def current_principal(request: Request, session: DbSession) -> Principal:
    token = bearer_token(request)
    if token is not None:
        authenticator: BearerAuthenticator | None = request.app.state.bearer_authenticator
        principal = authenticator(session, token) if authenticator is not None else None
        if principal is None:
            raise NotAuthenticatedError
    else:
        web = session_of(request)
        if web is None or web.username is None:
            raise NotAuthenticatedError
        try:
            principal = principal_for(session, web.username)
        except AccessDeniedError:  # deactivated since signing in
            request.state.web_session = None
            raise NotAuthenticatedError from None
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency: the principal, if their role is one of ``roles``; else 403."""
    allowed = frozenset(roles)

    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status_code=403)
        return principal

    return dependency


# ---------------------------------------------------------------------------------------------
# Routes: /login, /logout

router = APIRouter(include_in_schema=False)


def _client_ip(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:45]


def safe_next(target: str | None) -> str:
    """Only local paths: ``next`` must never send a user to another site.

    >>> safe_next("/cases/3"), safe_next("//evil.example"), safe_next("https://x"), safe_next(None)
    ('/cases/3', '/', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, config: Config, next: str = "/") -> Response:
    ensure_session(request, config)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    config: Config,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    now = config.now()
    outcome, principal = authenticate(
        session,
        username,
        password,
        ip=_client_ip(request),
        now=now,
        checker=request.app.state.password_checker,
        policy=request.app.state.throttle,
    )
    if outcome is not LoginOutcome.OK or principal is None:
        key, status = (
            ("login.throttled", 429) if outcome is LoginOutcome.THROTTLED else ("login.failed", 401)
        )
        ensure_session(request, config)
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "error": key, "username": username[:64]},
            status_code=status,
        )
    request.state.web_session = WebSession.start(principal.username, now)
    record(
        session,
        at=now,
        actor=principal.username,
        action="auth.login",
        entity="user",
        entity_id=principal.user_id,
    )
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: DbSession, config: Config) -> Response:
    web = session_of(request)
    if web is not None and web.username is not None:
        record(
            session,
            at=config.now(),
            actor=web.username,
            action="auth.logout",
            entity="user",
            entity_id=web.username,
        )
    request.state.web_session = None
    return RedirectResponse("/login", status_code=303)
