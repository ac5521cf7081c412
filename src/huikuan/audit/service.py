"""Writing to and verifying the audit log in the database.

``record`` appends one entry in the caller's transaction: it locks the head row, chains the new
entry to the last hash (:mod:`huikuan.audit.chain`), inserts it and moves the head, so an entry
exists exactly when the change it describes was committed. ``verify`` streams the whole log in
sequence order and reports every edited, missing or truncated entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.audit.chain import GENESIS, AuditRecord, ChainBreak, append, verify_chain
from huikuan.audit.models import AuditHead, AuditLog

_HEAD_ID = 1


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    detail: Mapping[str, object] | None = None,
) -> AuditRecord:
    """Append one entry (never plaintext personal data in ``detail``: pass masked values)."""
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update()
    ).one_or_none()
    previous = None if head is None else _stored(session.get(AuditLog, head.seq))
    entry = append(
        previous,
        at=at.isoformat(),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=dict(detail or {}),
    )
    session.add(
        AuditLog(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            detail=json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )
    )
    if head is None:
        session.add(AuditHead(id=_HEAD_ID, seq=entry.seq, hash=entry.hash))
    else:
        head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    return entry


def _stored(row: AuditLog | None) -> AuditRecord | None:
    if row is None:
        return None
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        detail=json.loads(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _stream(session: Session, batch: int = 10_000) -> Iterator[AuditRecord]:
    result = session.execute(
        select(AuditLog).order_by(AuditLog.seq).execution_options(yield_per=batch)
    )
    for row in result.scalars():
        stored = _stored(row)
        assert stored is not None
        yield stored


def verify(session: Session) -> list[ChainBreak]:
    """Every break in the chain; an empty list means the log is intact."""
    head = session.get(AuditHead, _HEAD_ID)
    expected = None if head is None else (head.seq, head.hash)
    return verify_chain(_stream(session), head=expected)


def head(session: Session) -> tuple[int, str]:
    stored = session.get(AuditHead, _HEAD_ID)
    return (0, GENESIS) if stored is None else (stored.seq, stored.hash)
