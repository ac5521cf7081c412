"""The outbox table's operations: stage, claim, and record each outcome.

Every function takes the caller's session and never commits: ``stage`` runs inside the
transaction that made the decision to send; the worker wraps each other call in its own short
transaction. All times are stored in UTC (SQLite keeps no offset), and read back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint
from huikuan.dispatch.models import DeliveryReceipt, MessageStatus, OutboxMessage, ReceiptEvent

DEFAULT_LEASE = timedelta(minutes=5)
"""A claim older than this belongs to a dead (or hopelessly slow) worker and is taken over.
The worker renews it as it hands each message over, so it must exceed one send's timeout."""

_CHUNK = 500
_LOOKUP_CHUNK = 5_000
_BULK_CHUNK = 10_000


def aware(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive value (SQLite gives those back) is taken to be UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _maybe(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to stage. ``recipient`` is the stored (encrypted) address token."""

    send_key: str
    channel: str
    sender: str
    recipient: str
    body: str
    not_before: datetime
    subject: str = ""
    expires_at: datetime | None = None
    case_id: int | None = None
    contact_attempt_id: int | None = None
    contact_point_id: int | None = None
    template_code: str | None = None
    template_params: dict[str, str] | None = None


def _table() -> Table:
    return cast(Table, OutboxMessage.__table__)


def stage(session: Session, messages: Iterable[NewMessage], now: datetime | None = None) -> int:
    """Insert ``messages``; a send key already in the outbox (or repeated) is skipped.

    Returns how many rows were inserted. Safe to call again after a retried transaction.
    """
    created = aware(now or datetime.now(UTC))
    rows: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message.send_key in rows:
            continue
        not_before = aware(message.not_before)
        rows[message.send_key] = {
            "send_key": message.send_key,
            "case_id": message.case_id,
            "contact_attempt_id": message.contact_attempt_id,
            "contact_point_id": message.contact_point_id,
            "channel": message.channel,
            "sender": message.sender,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "template_code": message.template_code,
            "template_params": message.template_params,
            "created_at": created,
            "not_before": not_before,
            "expires_at": _maybe(message.expires_at),
            "status": MessageStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": not_before,
        }
    table = _table()
    # Keys already staged (a retried transaction, a re-run) are skipped up front; ON CONFLICT
    # DO NOTHING still guards a race with another writer. One executemany per chunk: binding a
    # whole chunk into one multi-VALUES statement costs more to compile than to run.
    keys = list(rows)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        for existing in session.scalars(
            select(table.c.send_key).where(
                table.c.send_key.in_(keys[start : start + _LOOKUP_CHUNK])
            )
        ):
            rows.pop(existing, None)
    values = list(rows.values())
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["send_key"]
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["send_key"])
    else:  # pragma: no cover - the project runs on SQLite and PostgreSQL only
        raise NotImplementedError(dialect)
    inserted = 0
    for start in range(0, len(values), _BULK_CHUNK):
        chunk = values[start : start + _BULK_CHUNK]
        result = session.execute(statement, chunk)
        count = result.rowcount  # type: ignore[attr-defined]
        inserted += count if isinstance(count, int) and count >= 0 else len(chunk)
    return inserted


def cancel(session: Session, send_keys: Sequence[str], reason: str) -> int:
    """Withdraw messages not yet sent or being sent; returns how many were cancelled."""
    table = _table()
    ids = session.scalars(
        update(table)
        .where(table.c.send_key.in_(send_keys), table.c.status == MessageStatus.PENDING.value)
        .values(status=MessageStatus.CANCELLED.value, last_error=reason)
        .returning(table.c.id)
    ).all()
    return len(ids)


def _receipt(
    session: Session,
    message_id: int,
    event: ReceiptEvent,
    at: datetime,
    *,
    attempt: int = 0,
    worker_id: str | None = None,
    provider_message_id: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        DeliveryReceipt(
            message_id=message_id,
            at=aware(at),
            event=event.value,
            attempt=attempt,
            worker_id=worker_id,
            provider_message_id=provider_message_id,
            detail=detail,
        )
    )


def claim(
    session: Session,
    worker_id: str,
    limit: int,
    now: datetime,
    *,
    lease: timedelta = DEFAULT_LEASE,
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for ``worker_id``; they become ``sending``.

    Due: ``pending`` with ``next_attempt_at`` reached, or ``sending`` under a claim older than
    ``lease`` (its worker died). A due message past ``expires_at`` becomes ``expired`` instead
    (it is never sent late). PostgreSQL locks candidate rows ``FOR UPDATE SKIP LOCKED``, so
    concurrent workers take disjoint sets without waiting; SQLite runs each step as one
    ``UPDATE … RETURNING`` under its single-writer lock. A returned message whose
    ``handed_at`` is set was handed to a provider by a worker that died: it is in doubt.
    """
    now = aware(now)
    table = _table()
    postgres = session.get_bind().dialect.name == "postgresql"
    due = or_(
        and_(table.c.status == MessageStatus.PENDING.value, table.c.next_attempt_at <= now),
        and_(table.c.status == MessageStatus.SENDING.value, table.c.claimed_at < now - lease),
    )
    late = and_(table.c.expires_at.is_not(None), table.c.expires_at <= now)

    def candidates(condition: Any, count: int | None) -> Any:
        query = select(table.c.id).where(condition)
        if count is not None:
            query = query.order_by(table.c.next_attempt_at, table.c.id).limit(count)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        return query

    expired = session.execute(
        update(table)
        .where(table.c.id.in_(candidates(and_(due, late), None)))
        .values(status=MessageStatus.EXPIRED.value, claimed_by=None)
        .returning(table.c.id, table.c.attempts, table.c.handed_at)
    ).all()
    for message_id, attempts, handed_at in expired:
        detail = "in doubt: handed over by a worker that died" if handed_at else None
        _receipt(session, message_id, ReceiptEvent.EXPIRED, now, attempt=attempts, detail=detail)

    ids = session.scalars(
        update(table)
        .where(table.c.id.in_(candidates(and_(due, ~late), limit)))
        .values(status=MessageStatus.SENDING.value, claimed_by=worker_id, claimed_at=now)
        .returning(table.c.id)
    ).all()
    if not ids:
        return []
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def mark_handed(
    session: Session, message: OutboxMessage, worker_id: str, now: datetime, *, in_doubt: bool
) -> bool:
    """Record that ``message`` is about to go to the provider (and renew the lease).

    False when this worker no longer holds the claim (its lease ran out and another worker
    took the message over): the caller must not send it.
    """
    now = aware(now)
    table = _table()
    attempts = session.scalar(
        update(table)
        .where(
            table.c.id == message.id,
            table.c.status == MessageStatus.SENDING.value,
            table.c.claimed_by == worker_id,
        )
        .values(handed_at=now, claimed_at=now, attempts=table.c.attempts + 1)
        .returning(table.c.attempts)
    )
    if attempts is None:
        return False
    message.attempts = attempts
    if in_doubt:
        _receipt(
            session,
            message.id,
            ReceiptEvent.IN_DOUBT,
            now,
            attempt=attempts,
            worker_id=worker_id,
            detail="re-sent with the same send key after a worker died mid-send",
        )
    return True


def mark_sent(
    session: Session,
    message: OutboxMessage,
    worker_id: str,
    provider_message_id: str,
    now: datetime,
) -> None:
    """The provider accepted ``message``: it is ``sent`` and never sent again."""
    now = aware(now)
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message.id)
        .values(
            status=MessageStatus.SENT.value,
            provider_message_id=provider_message_id,
            sent_at=now,
            last_error=None,
        )
    )
    _receipt(
        session,
        message.id,
        ReceiptEvent.ACCEPTED,
        now,
        attempt=message.attempts,
        worker_id=worker_id,
        provider_message_id=provider_message_id,
    )


def mark_retry(
    session: Session,
    message: OutboxMessage,
    worker_id: str,
    error: str,
    now: datetime,
    retry_at: datetime,
) -> str:
    """A temporary failure: back to ``pending`` at ``retry_at``, or ``expired`` if that is too
    late to be sent on time. Returns the new status."""
    now, retry_at = aware(now), aware(retry_at)
    expires_at = _maybe(message.expires_at)
    status = MessageStatus.PENDING
    if expires_at is not None and retry_at >= expires_at:
        status = MessageStatus.EXPIRED
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message.id)
        .values(
            status=status.value,
            next_attempt_at=retry_at,
            handed_at=None,
            claimed_by=None,
            claimed_at=None,
            last_error=error,
        )
    )
    _receipt(
        session,
        message.id,
        ReceiptEvent.TEMPORARY_FAILURE,
        now,
        attempt=message.attempts,
        worker_id=worker_id,
        detail=error,
    )
    if status is MessageStatus.EXPIRED:
        _receipt(session, message.id, ReceiptEvent.EXPIRED, now, attempt=message.attempts)
    return status.value


def expire(session: Session, message: OutboxMessage, worker_id: str, now: datetime) -> None:
    """Too late to send (e.g. after waiting for the rate limit): ``expired``, never sent."""
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message.id)
        .values(status=MessageStatus.EXPIRED.value, claimed_by=None, handed_at=None)
    )
    _receipt(
        session,
        message.id,
        ReceiptEvent.EXPIRED,
        now,
        attempt=message.attempts,
        worker_id=worker_id,
    )


def mark_failed(
    session: Session,
    message: OutboxMessage,
    worker_id: str,
    error: str,
    now: datetime,
    *,
    invalidate_contact_point: bool = True,
) -> None:
    """A permanent failure: ``failed``; the contact point is marked ``invalid`` (never used
    again) unless the failure was not the address's fault."""
    now = aware(now)
    table = _table()
    session.execute(
        update(table)
        .where(table.c.id == message.id)
        .values(status=MessageStatus.FAILED.value, handed_at=None, last_error=error)
    )
    _receipt(
        session,
        message.id,
        ReceiptEvent.PERMANENT_FAILURE,
        now,
        attempt=message.attempts,
        worker_id=worker_id,
        detail=error,
    )
    if invalidate_contact_point and message.contact_point_id is not None:
        session.execute(
            update(ContactPoint)
            .where(ContactPoint.id == message.contact_point_id)
            .values(status="invalid")
        )


def record_receipt(
    session: Session, provider_message_id: str, event: ReceiptEvent, at: datetime, detail: str
) -> bool:
    """A provider's delivery report or bounce for a sent message; False if none matches.

    A bounce is a permanent failure of the address: the contact point becomes ``invalid``.
    """
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_message_id)
    ).first()
    if message is None:
        return False
    _receipt(
        session,
        message.id,
        event,
        at,
        attempt=message.attempts,
        provider_message_id=provider_message_id,
        detail=detail,
    )
    if event is ReceiptEvent.BOUNCED and message.contact_point_id is not None:
        session.execute(
            update(ContactPoint)
            .where(ContactPoint.id == message.contact_point_id)
            .values(status="invalid")
        )
    return True
