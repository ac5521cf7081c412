"""Getting in: a signed link, then a one-time code to a phone or email on file, then a session.

Data flow::

    GET /d/<link>            read_link_token → the case (nothing shown yet)
    POST code request        request_code(case, typed phone/email, caller)
        ledger + limits → the typed value's keyed hash matched against the debtor's own
        valid mobile / email on that case → a 6-digit code (stored as a keyed hash, 10 min,
        5 tries) sent through the real SMS / email channel. Whether or not anything matched,
        the answer is the same ("if this is on file, a code is on its way"), so the page never
        tells a stranger whether a number belongs to the debtor.
    POST code                verify_code(case, code, caller)
        ledger + limits → the newest live code → compare in constant time → a session row
        (token hash; 15 minutes idle, 2 hours in all) and the cookie with the token.

Brute force: a code has 10^6 values and lives for 5 tries; a case allows 10 failed tries a
day and a caller 30 failed tries a day (a locked case says so and names the hotline). At
those limits a guesser's chance is 10 in a million a day per case. Codes requested: 5 an hour
and 10 a day per case, 20 a day per caller. Every sign-in, failure and lock is audited;
neither codes nor typed numbers are ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.models import DebtorAccessCode, DebtorAccessEvent, DebtorSession

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_TRIES = 5
SESSION_IDLE = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Limit:
    kind: str  # the ledger kind counted
    per: str  # "case" or "client"
    most: int
    window: timedelta


REQUEST_LIMITS = (
    Limit("code_requested", "case", 5, timedelta(hours=1)),
    Limit("code_requested", "case", 10, timedelta(days=1)),
    Limit("code_requested", "client", 20, timedelta(days=1)),
)
VERIFY_LIMITS = (
    Limit("code_failed", "case", 10, timedelta(days=1)),
    Limit("code_failed", "client", 30, timedelta(days=1)),
)


class CodeSender(Protocol):
    """Delivers one code message now (SMS or email), through the real channel."""

    def __call__(self, *, channel: str, address: str, text: str, key: str, code: str) -> None: ...


class TooManyAttemptsError(Exception):
    """A limit is reached; ``until`` is when the oldest counted attempt leaves the window."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many attempts; try again after {until.isoformat()}")
        self.until = until


class CodeRejectedError(Exception):
    """The code is wrong, used, expired or out of tries (one answer for all of them)."""


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _keyed(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()


def client_hash(secret: bytes, client: str) -> str:
    return _keyed(secret, "client", client)


def _check_limits(
    session: Session, limits: tuple[Limit, ...], *, case_id: int, client: str, now: datetime
) -> None:
    for limit in limits:
        since = now - limit.window
        where = (
            DebtorAccessEvent.case_id == case_id
            if limit.per == "case"
            else DebtorAccessEvent.client_hash == client
        )
        counted = session.execute(
            select(func.count(DebtorAccessEvent.id), func.min(DebtorAccessEvent.at)).where(
                where, DebtorAccessEvent.kind == limit.kind, DebtorAccessEvent.at > since
            )
        ).one()
        if counted[0] >= limit.most:
            raise TooManyAttemptsError(_utc(counted[1]) + limit.window)


def _ledger(session: Session, kind: str, *, case_id: int, client: str, now: datetime) -> None:
    session.add(DebtorAccessEvent(at=now, case_id=case_id, client_hash=client, kind=kind))
    session.flush()


def _matching_point(
    session: Session, cipher: FieldCipher, case: Case, typed: str
) -> ContactPoint | None:
    text = typed.strip()
    if not text or len(text) > 120:
        return None
    kind, search_kind = ("email", "email") if "@" in text else ("mobile", "phone")
    try:
        digest = cipher.search_hash(text, kind=search_kind)
    except ValueError:
        return None
    return session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.debtor_id == case.debtor_id,
            ContactPoint.owner_type == "self",
            ContactPoint.kind == kind,
            ContactPoint.value_hash == digest,
            ContactPoint.status != "invalid",
        )
        .order_by(ContactPoint.id)
        .limit(1)
    ).first()


def code_text(code: str, institution: str, language: str) -> str:
    if language == "en":
        return (
            f"[{institution}] Your verification code is {code}, valid for 10 minutes. "
            "Ignore this message if you did not ask for it."
        )
    return f"【{institution}】您的验证码为 {code}，10分钟内有效。如非本人操作，请忽略本短信。"


def request_code(
    session: Session,
    cipher: FieldCipher,
    secret: bytes,
    *,
    case: Case,
    typed: str,
    client: str,
    now: datetime,
    institution: str,
    language: str,
    send: CodeSender,
    make_code: Callable[[], str] | None = None,
) -> None:
    """Send a code if ``typed`` is the debtor's own phone or email on the case; same answer
    either way. Raises :class:`TooManyAttemptsError` when a request limit is reached."""
    now = _utc(now)
    caller = client_hash(secret, client)
    _check_limits(session, REQUEST_LIMITS, case_id=case.id, client=caller, now=now)
    _ledger(session, "code_requested", case_id=case.id, client=caller, now=now)
    point = _matching_point(session, cipher, case, typed)
    if point is None:
        return
    code = (make_code or _random_code)()
    row = DebtorAccessCode(
        case_id=case.id,
        contact_point_id=point.id,
        channel="email" if point.kind == "email" else "sms",
        code_hash="",
        created_at=now,
        expires_at=now + CODE_TTL,
        attempts=0,
    )
    session.add(row)
    session.flush()
    row.code_hash = _keyed(secret, "code", str(row.id), code)
    # Older live codes die: only the newest one counts, so tries cannot be spread over many.
    session.execute(
        update(DebtorAccessCode)
        .where(
            DebtorAccessCode.case_id == case.id,
            DebtorAccessCode.id != row.id,
            DebtorAccessCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    record(
        session,
        at=now,
        actor="debtor",
        action="debtor.code_sent",
        entity="case",
        entity_id=case.id,
        detail={"channel": row.channel, "contact_point": point.id},
    )
    session.flush()
    address = cipher.decrypt(point.value_enc, context="contact.value")
    send(
        channel=row.channel,
        address=address,
        text=code_text(code, institution, language),
        key=f"debtor-code:{row.id}",
        code=code,
    )


def _random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # for the cookie only; the database keeps its hash
    session_id: int
    expires_at: datetime


def verify_code(
    session: Session,
    secret: bytes,
    *,
    case: Case,
    code: str,
    client: str,
    now: datetime,
) -> SignedIn:
    now = _utc(now)
    caller = client_hash(secret, client)
    _check_limits(session, VERIFY_LIMITS, case_id=case.id, client=caller, now=now)
    live = session.scalars(
        select(DebtorAccessCode)
        .where(
            DebtorAccessCode.case_id == case.id,
            DebtorAccessCode.consumed_at.is_(None),
            DebtorAccessCode.expires_at > now,
        )
        .order_by(DebtorAccessCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    typed = code.strip()
    if live is not None:
        live.attempts += 1
        if live.attempts >= CODE_TRIES:
            live.consumed_at = now
    if (
        live is None
        or not typed.isdigit()
        or not hmac.compare_digest(live.code_hash, _keyed(secret, "code", str(live.id), typed))
    ):
        _ledger(session, "code_failed", case_id=case.id, client=caller, now=now)
        record(
            session,
            at=now,
            actor="debtor",
            action="debtor.code_failed",
            entity="case",
            entity_id=case.id,
            detail={},
        )
        raise CodeRejectedError
    live.consumed_at = now
    _ledger(session, "code_ok", case_id=case.id, client=caller, now=now)
    token = secrets.token_urlsafe(32)
    row = DebtorSession(
        token_hash=_keyed(secret, "session", token),
        case_id=case.id,
        debtor_id=case.debtor_id,
        contact_point_id=live.contact_point_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    record(
        session,
        at=now,
        actor="debtor",
        action="debtor.signed_in",
        entity="case",
        entity_id=case.id,
        detail={"session": row.id, "contact_point": live.contact_point_id},
    )
    return SignedIn(token, row.id, row.expires_at)


@dataclass(frozen=True, slots=True)
class DebtorPrincipal:
    """Who is on the page: one debtor, on one case, through one session."""

    session_id: int
    case_id: int
    debtor_id: int

    @property
    def actor(self) -> str:
        return f"debtor:s{self.session_id}"


def current_debtor(
    session: Session, secret: bytes, token: str | None, *, case_id: int, now: datetime
) -> DebtorPrincipal | None:
    """The session behind a cookie, if it is live and for this very case; touches it."""
    if not token or len(token) > 100:
        return None
    now = _utc(now)
    row = session.scalars(
        select(DebtorSession).where(DebtorSession.token_hash == _keyed(secret, "session", token))
    ).first()
    if (
        row is None
        or row.case_id != case_id
        or row.ended_at is not None
        or _utc(row.expires_at) <= now
        or _utc(row.last_seen_at) + SESSION_IDLE <= now
    ):
        return None
    row.last_seen_at = now
    return DebtorPrincipal(row.id, row.case_id, row.debtor_id)


def sign_out(session: Session, principal: DebtorPrincipal, now: datetime) -> None:
    row = session.get(DebtorSession, principal.session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = _utc(now)
        record(
            session,
            at=now,
            actor=principal.actor,
            action="debtor.signed_out",
            entity="case",
            entity_id=principal.case_id,
            detail={"session": principal.session_id},
        )
