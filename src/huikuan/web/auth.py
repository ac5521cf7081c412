"""Signing in, sessions, CSRF and who the caller is.

Data flow of a browser request:

1. The session middleware (:mod:`huikuan.web.app`) reads the ``huikuan_session`` cookie with
   :class:`SessionCodec`: a signed (itsdangerous), timestamped :class:`WebSession` holding a
   random session id, the username (``None`` before sign-in) and the session's CSRF token. A
   bad signature, an idle session or one past its absolute lifetime reads as no session.
2. :func:`verify_csrf` (an app-wide dependency, so it guards every route) first keeps bearer
   tokens to the creditor API: a request with ``Authorization: Bearer`` outside
   :data:`BEARER_PREFIX` is refused (403) whatever the token is. It then refuses every unsafe
   method whose ``X-CSRF-Token`` header or ``csrf_token`` form field does not match the
   session's token; requests with a bearer token carry no ambient credential and skip that,
   as do the provider webhooks under :data:`CSRF_EXEMPT_PREFIXES` (they check the provider's
   signature instead).
3. :func:`current_principal` turns a bearer token (through the :data:`BearerAuthenticator`
   hook, the creditor API's tokens) or a signed-in session into an
   :class:`~huikuan.access.policy.Principal`; :func:`require_roles` narrows by role. A signed-in
   session counts only while its ``web_sessions`` row is live (:func:`live_principal`): one
   primary-key read joined to the user, which replaces the user lookup a stateless cookie
   needed, so the check costs no extra query. ``last_seen_at`` is moved at most once a
   :data:`TOUCH_EVERY`, in its own short transaction (an upload's import runs in its own
   transaction while the request's is open, and SQLite allows one writer at a time).
4. The middleware re-signs the cookie on the way out, which is what makes expiry "idle".

Signing in (:func:`authenticate`) checks the throttle (failures in ``login_failures``, so all
workers count the same), verifies the argon2 hash (against a dummy hash for unknown users, so
both cases take the same time and give the same message), and on success starts a *new*
session (new id and CSRF token: no session fixation) and its row (:func:`open_session`).
Anonymous sessions (the login form, the debtor pages) stay cookie-only.

Ending sessions: sign-out ends the row; :func:`end_session` (an admin, or the user for their
own) and :func:`end_user_sessions` end rows on demand; :func:`change_password` and
:func:`set_user_active` end all of a user's sessions. A password changed or a user deactivated
by any other path ends the sessions too, on their next request (the row's password stamp no
longer matches, or the user is inactive). Sign-in, sign-out and every ending are audited.
"""

from __future__ import annotations

import hashlib
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
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, principal_for
from huikuan.audit.service import record
from huikuan.org.models import Role, User
from huikuan.web.deps import Config, DbSession, WebConfig, engine_of
from huikuan.web.models import LoginFailure, StaffSession
from huikuan.web.rendering import render

SESSION_COOKIE = "huikuan_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Paths that servers (SMS providers) call: no browser session, so no ambient credential to
# protect; each route there authenticates the caller itself (signature or shared secret).
CSRF_EXEMPT_PREFIXES: tuple[str, ...] = ("/hooks/",)
# The only part of the app a bearer token (a creditor system's API token) may reach: a token
# is a credential for the creditor API, never for the staff screens or their JSON twins.
BEARER_PREFIX = "/api/client/"
BEARER_REFUSED = "API tokens may only call /api/client/"

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
# Signed-in sessions on the server (revocable)

# last_seen_at is written at most this often per session: the idle timeout is therefore
# honoured to within this much (a session may end up to a minute early, never late).
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_CHARS = 200
# Ended (or long idle) rows of a user are deleted when that user next signs in: the audit log
# keeps the history, this table only what is needed to check and list sessions.
KEEP_ENDED = timedelta(days=30)
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1000
SYSTEM = "system"  # ended_by for an end noticed on use (timeout, password or user changed)


class EndReason(StrEnum):
    LOGOUT = "logout"
    REVOKED = "revoked"
    PASSWORD = "password"
    DEACTIVATED = "deactivated"
    IDLE = "idle"
    EXPIRED = "expired"


def _keyed(config: WebConfig, purpose: str, value: str) -> str:
    """HMAC-SHA256 under the app's secret key, one ``purpose`` per kind of value."""
    message = f"huikuan.web.{purpose}\x00{value}".encode()
    return hmac.new(config.secret_key.encode(), message, hashlib.sha256).hexdigest()


def session_key(config: WebConfig, sid: str) -> str:
    """The ``web_sessions`` key of a cookie's session id (never the id itself)."""
    return _keyed(config, "session", sid)


def password_stamp(config: WebConfig, password_hash: str | None) -> str:
    return _keyed(config, "password", password_hash or "")


@dataclass(frozen=True, slots=True)
class SessionView:
    """One live session as its owner or an admin sees it (no cookie value, no address)."""

    id: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    device: str  # a short tag of the client address's keyed hash: "same place or not"
    current: bool


class PasswordRefusedError(ValueError):
    """The new password is not acceptable; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def end_reason(row: StaffSession, user: User, config: WebConfig, now: datetime) -> str | None:
    """Why ``row`` no longer signs anyone in (``None``: it is live)."""
    if row.ended_at is not None:
        return row.end_reason or EndReason.REVOKED.value
    if not user.active:
        return EndReason.DEACTIVATED
    if not hmac.compare_digest(row.password_stamp, password_stamp(config, user.password_hash)):
        return EndReason.PASSWORD
    if now - _aware(row.created_at, now) > config.absolute_timeout:
        return EndReason.EXPIRED
    if now - _aware(row.last_seen_at, now) > config.idle_timeout:
        return EndReason.IDLE
    return None


def _write_aside(engine: Engine, key: str, **values: object) -> None:
    """Update one session row in a transaction of its own, committed at once."""
    with engine.begin() as connection:
        connection.execute(
            update(StaffSession)
            .where(StaffSession.id == key, StaffSession.ended_at.is_(None))
            .values(**values)
        )


def open_session(
    session: Session,
    config: WebConfig,
    web: WebSession,
    principal: Principal,
    *,
    user_agent: str,
    client: str,
    now: datetime,
) -> StaffSession:
    """The row of a session just signed in (in the sign-in's transaction)."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise AccessDeniedError(f"unknown user {principal.username!r}")
    session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user.id,
            StaffSession.last_seen_at < now - KEEP_ENDED,
        )
    )
    row = StaffSession(
        id=session_key(config, web.sid),
        user_id=user.id,
        username=user.username,
        created_at=now,
        last_seen_at=now,
        user_agent=user_agent[:USER_AGENT_CHARS],
        client_hash=_keyed(config, "client", client),
        password_stamp=password_stamp(config, user.password_hash),
    )
    session.add(row)
    session.flush()
    return row


def live_principal(
    session: Session, engine: Engine, config: WebConfig, web: WebSession
) -> Principal | None:
    """The principal of a signed-in session whose row is live; ``None`` otherwise.

    One primary-key read (joined to the user). A dead row found here is marked ended; a live
    one has ``last_seen_at`` moved if it is at least :data:`TOUCH_EVERY` old. Both writes go
    through ``engine`` in their own transaction, not the request's.
    """
    key = session_key(config, web.sid)
    found = session.execute(
        select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(StaffSession.id == key)
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    now = config.now()
    reason = end_reason(row, user, config, now)
    if reason is None and user.username != web.username:
        reason = EndReason.REVOKED  # cannot happen with a signed cookie; refuse all the same
    if reason is not None:
        if row.ended_at is None:
            _write_aside(engine, key, ended_at=now, ended_by=SYSTEM, end_reason=str(reason))
        return None
    if now - _aware(row.last_seen_at, now) >= TOUCH_EVERY:
        _write_aside(engine, key, last_seen_at=now)
    return Principal(
        username=user.username,
        user_id=user.id,
        role=Role(user.role),
        creditor_id=user.creditor_id,
        agency_id=user.agency_id,
        team_id=user.team_id,
    )


def _end(row: StaffSession, by: str, reason: EndReason, now: datetime) -> None:
    row.ended_at, row.ended_by, row.end_reason = now, by[:64], reason.value


def _live_rows(
    session: Session, config: WebConfig, now: datetime, user_id: int | None
) -> list[StaffSession]:
    query = (
        select(StaffSession, User)
        .join(User, User.id == StaffSession.user_id)
        .where(
            StaffSession.ended_at.is_(None),
            StaffSession.last_seen_at >= now - config.idle_timeout,
        )
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id)
        .limit(500)
    )
    if user_id is not None:
        query = query.where(StaffSession.user_id == user_id)
    return [
        row for row, user in session.execute(query) if end_reason(row, user, config, now) is None
    ]


def _user_named(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username.strip()[:64])).one_or_none()
    if user is None:
        raise AccessDeniedError(f"no user {username!r}")
    return user


def _may_manage(actor: Principal, user_id: int) -> None:
    """Admins manage anyone's sessions; everyone else only their own (else 403)."""
    if actor.role is not Role.ADMIN and actor.user_id != user_id:
        raise HTTPException(status_code=403)


def list_sessions(
    session: Session,
    config: WebConfig,
    actor: Principal,
    *,
    username: str | None = None,
    current_sid: str | None = None,
) -> list[SessionView]:
    """Live sessions of ``username`` (default: the actor's own; admins: anyone's, or with
    ``username=""`` everyone's), newest activity first."""
    now = config.now()
    user_id: int | None = actor.user_id
    if username is not None and username.strip() == "" and actor.role is Role.ADMIN:
        user_id = None
    elif username is not None and username.strip() not in ("", actor.username):
        if actor.role is not Role.ADMIN:
            raise HTTPException(status_code=403)
        user_id = _user_named(session, username).id
    _may_manage(actor, user_id if user_id is not None else actor.user_id)
    current = session_key(config, current_sid) if current_sid else None
    return [
        SessionView(
            id=row.id,
            username=row.username,
            created_at=_aware(row.created_at, now),
            last_seen_at=_aware(row.last_seen_at, now),
            user_agent=row.user_agent,
            device=row.client_hash[:8],
            current=row.id == current,
        )
        for row in _live_rows(session, config, now, user_id)
    ]


def end_session(
    session: Session, config: WebConfig, actor: Principal, session_id: str
) -> StaffSession:
    """End one session: an admin any, a user their own; another's reads as not found."""
    now = config.now()
    row = session.get(StaffSession, session_id)
    if row is None or (actor.role is not Role.ADMIN and row.user_id != actor.user_id):
        raise AccessDeniedError("no such session")
    if row.ended_at is None:
        _end(row, actor.username, EndReason.REVOKED, now)
        record(
            session,
            at=now,
            actor=actor.username,
            action="auth.session_ended",
            entity="user",
            entity_id=row.user_id,
            detail={"session": row.id[:12], "reason": EndReason.REVOKED.value},
        )
    return row


def end_user_sessions(
    session: Session,
    config: WebConfig,
    user_id: int,
    *,
    by: str,
    reason: EndReason,
    keep_sid: str | None = None,
) -> int:
    """End every open session of ``user_id`` (but ``keep_sid``'s); audited once, if any."""
    now = config.now()
    keep = session_key(config, keep_sid) if keep_sid else None
    rows = session.scalars(
        select(StaffSession).where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
    ).all()
    ended = [row for row in rows if row.id != keep]
    for row in ended:
        _end(row, by, reason, now)
    if ended:
        record(
            session,
            at=now,
            actor=by,
            action="auth.sessions_ended",
            entity="user",
            entity_id=user_id,
            detail={"sessions": len(ended), "reason": reason.value},
        )
    return len(ended)


def end_sessions_of(
    session: Session,
    config: WebConfig,
    actor: Principal,
    username: str,
    *,
    keep_sid: str | None = None,
) -> int:
    """End all of ``username``'s sessions (an admin, or the user: "sign out everywhere")."""
    user = _user_named(session, username)
    _may_manage(actor, user.id)
    return end_user_sessions(
        session, config, user.id, by=actor.username, reason=EndReason.REVOKED, keep_sid=keep_sid
    )


def change_password(
    session: Session,
    config: WebConfig,
    actor: Principal,
    username: str,
    new_password: str,
    *,
    hasher: PasswordHasher,
    current_sid: str | None = None,
) -> int:
    """Set ``username``'s password (an admin, or the user) and end all their sessions but the
    actor's own current one (``current_sid``); returns how many were ended. Audited."""
    user = _user_named(session, username)
    _may_manage(actor, user.id)
    if not MIN_PASSWORD_CHARS <= len(new_password) <= MAX_PASSWORD_CHARS:
        raise PasswordRefusedError(
            "password",
            f"the password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
        )
    user.password_hash = hasher.hash(new_password)
    keep = current_sid if actor.user_id == user.id else None
    ended = end_user_sessions(
        session, config, user.id, by=actor.username, reason=EndReason.PASSWORD, keep_sid=keep
    )
    if keep is not None:  # the actor's own session goes on under the new password
        row = session.get(StaffSession, session_key(config, keep))
        if row is not None:
            row.password_stamp = password_stamp(config, user.password_hash)
    record(
        session,
        at=config.now(),
        actor=actor.username,
        action="auth.password_changed",
        entity="user",
        entity_id=user.id,
        detail={"sessions_ended": ended},
    )
    return ended


def set_user_active(
    session: Session, config: WebConfig, actor: Principal, username: str, active: bool
) -> int:
    """Activate or deactivate a user (admins only); deactivating ends all their sessions."""
    if actor.role is not Role.ADMIN:
        raise HTTPException(status_code=403)
    user = _user_named(session, username)
    changed = user.active != active
    user.active = active
    ended = 0
    if not active:
        ended = end_user_sessions(
            session, config, user.id, by=actor.username, reason=EndReason.DEACTIVATED
        )
    if changed:
        record(
            session,
            at=config.now(),
            actor=actor.username,
            action="user.activated" if active else "user.deactivated",
            entity="user",
            entity_id=user.id,
            detail={"sessions_ended": ended},
        )
    return ended


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
    """App-wide request guard: bearer tokens only under :data:`BEARER_PREFIX` (403 elsewhere,
    before the token is even looked up), and unsafe methods need the session's CSRF token
    (header or form field)."""
    if bearer_token(request) is not None:
        if not request.url.path.startswith(BEARER_PREFIX):
            raise HTTPException(status_code=403, detail=BEARER_REFUSED)
        return
    if request.method in SAFE_METHODS:
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


def current_principal(request: Request, session: DbSession, config: Config) -> Principal:
    token = bearer_token(request)
    if token is not None:
        # verify_csrf has already kept tokens to BEARER_PREFIX.
        authenticator: BearerAuthenticator | None = request.app.state.bearer_authenticator
        principal = authenticator(session, token) if authenticator is not None else None
        if principal is None:
            raise NotAuthenticatedError
    else:
        web = session_of(request)
        if web is None or web.username is None:
            raise NotAuthenticatedError
        found = live_principal(session, engine_of(request), config, web)
        if found is None:  # signed out, revoked, timed out, deactivated, password changed
            request.state.web_session = None
            raise NotAuthenticatedError
        principal = found
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
    web = WebSession.start(principal.username, now)
    row = open_session(
        session,
        config,
        web,
        principal,
        user_agent=request.headers.get("user-agent", ""),
        client=_client_ip(request),
        now=now,
    )
    request.state.web_session = web
    record(
        session,
        at=now,
        actor=principal.username,
        action="auth.login",
        entity="user",
        entity_id=principal.user_id,
        detail={"session": row.id[:12]},
    )
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: DbSession, config: Config) -> Response:
    web = session_of(request)
    if web is not None and web.username is not None:
        row = session.get(StaffSession, session_key(config, web.sid))
        if row is not None and row.ended_at is None and row.username == web.username:
            now = config.now()
            _end(row, web.username, EndReason.LOGOUT, now)
            record(
                session,
                at=now,
                actor=web.username,
                action="auth.logout",
                entity="user",
                entity_id=row.user_id,
                detail={"session": row.id[:12]},
            )
    request.state.web_session = None
    return RedirectResponse("/login", status_code=303)
