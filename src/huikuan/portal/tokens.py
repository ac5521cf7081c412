"""API tokens for creditors' systems: issue, look up, authenticate, revoke.

Data flow: :func:`issue_token` makes 32 random bytes, shows them once (``hk_`` + URL-safe
base64) and stores only their SHA-256 with the creditor, the scopes and the expiry → a client
sends ``Authorization: Bearer hk_…`` → the app's bearer hook (:func:`authenticate`) hashes it,
finds an unrevoked, unexpired token, notes when it was last used and answers with a
creditor-client :class:`~huikuan.access.policy.Principal` for that creditor → upload routes call
:func:`require_scope` for the kind of file they take. Issuing and revoking are audited; the
token never reaches a log or the audit trail (its prefix does).

A token reaches only the creditor API: the web app's request guard
(:func:`huikuan.web.auth.verify_csrf`, :data:`~huikuan.web.auth.BEARER_PREFIX`) answers 403 to a
bearer token anywhere outside ``/api/client/``, before this module is asked about it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal
from huikuan.audit.service import record
from huikuan.org.models import Creditor, Role
from huikuan.portal.models import ApiToken

TOKEN_PREFIX = "hk_"
SCOPES: tuple[str, ...] = ("placements", "updates", "payments", "recalls")
MAX_LIFETIME = timedelta(days=730)
ISSUER_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
# A token principal stands for no user: user id 0 never matches a row.
TOKEN_USER_ID = 0


class TokenRefusedError(ValueError):
    """The token request is wrong; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScopeError(PermissionError):
    """The token does not carry the scope the endpoint needs."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _may_issue(principal: Principal) -> None:
    if principal.role not in ISSUER_ROLES or not principal.in_house:
        raise AccessDeniedError(f"{principal.username} may not manage API tokens")


def issue_token(
    session: Session,
    principal: Principal,
    *,
    creditor_id: int,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    now: datetime,
) -> IssuedToken:
    """A new token for ``creditor_id``; the secret is in the result and nowhere else."""
    _may_issue(principal)
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenRefusedError("name", "name is required (at most 100 characters)")
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise TokenRefusedError("scopes", f"choose one or more of {', '.join(SCOPES)}")
    expires_at, now = _utc(expires_at), _utc(now)
    if expires_at <= now or expires_at - now > MAX_LIFETIME:
        raise TokenRefusedError("expires_at", "expiry must be in the future, within 730 days")
    if session.get(Creditor, creditor_id) is None:
        raise TokenRefusedError("creditor_id", "no such creditor")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        creditor_id=creditor_id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        scopes=chosen,
        created_by=principal.user_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="api_token.issued",
        entity="api_token",
        entity_id=token.id,
        detail={
            "creditor_id": creditor_id,
            "name": name,
            "prefix": token.prefix,
            "scopes": chosen,
            "expires_at": expires_at.isoformat(),
        },
    )
    return IssuedToken(token, secret)


def revoke_token(
    session: Session, principal: Principal, token_id: int, *, now: datetime
) -> ApiToken:
    _may_issue(principal)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccessDeniedError(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = _utc(now)
        token.revoked_by = principal.user_id
        record(
            session,
            at=now,
            actor=principal.username,
            action="api_token.revoked",
            entity="api_token",
            entity_id=token.id,
            detail={"creditor_id": token.creditor_id, "prefix": token.prefix},
        )
    return token


def list_tokens(session: Session, principal: Principal) -> list[tuple[ApiToken, str]]:
    """Every token with its creditor's code, newest first."""
    _may_issue(principal)
    rows = session.execute(
        select(ApiToken, Creditor.code)
        .join(Creditor, Creditor.id == ApiToken.creditor_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return [(token, str(code)) for token, code in rows]


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if _utc(token.expires_at) <= _utc(now):
        return "expired"
    return "active"


def lookup(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The usable token ``secret`` stands for: known, not revoked, not expired."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(secret))
    ).one_or_none()
    if token is None or token_state(token, now) != "active":
        return None
    return token


def authenticate(session: Session, token: str, now: datetime | None = None) -> Principal | None:
    """The bearer hook of :func:`huikuan.web.app.create_app`: a creditor-client principal."""
    moment = _utc(now) if now is not None else datetime.now(UTC)
    found = lookup(session, token, moment)
    if found is None:
        return None
    # Written with the request's unit of work (not flushed here: an upload's import runs in
    # its own transaction first, and SQLite allows one writer at a time).
    found.last_used_at = moment
    return Principal(
        username=f"api-token:{found.id}",
        user_id=TOKEN_USER_ID,
        role=Role.CREDITOR_CLIENT,
        creditor_id=found.creditor_id,
    )


def authenticator(clock: Callable[[], datetime]) -> Callable[[Session, str], Principal | None]:
    """:func:`authenticate` reading ``clock`` (the app's clock, so tests can move time)."""

    def hook(session: Session, token: str) -> Principal | None:
        return authenticate(session, token, clock())

    return hook


def require_scope(session: Session, secret: str | None, scope: str, now: datetime) -> int | None:
    """The token id if ``secret`` carries ``scope``; ``None`` for a browser session (no token).

    Raises :class:`ScopeError` for a token without the scope.
    """
    if secret is None:
        return None
    with session.no_autoflush:
        token = lookup(session, secret, now)
    if token is None:
        raise ScopeError("token not usable")
    if scope not in token.scopes:
        raise ScopeError(f"token lacks the {scope!r} scope")
    return token.id
