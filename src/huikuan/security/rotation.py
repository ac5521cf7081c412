"""Re-encrypting stored personal data under the current key (after a new key is added).

Every encrypted column is listed once here with its context; rows whose token is under an
older key are rewritten in batches inside one transaction, so a rotation that dies leaves the
old tokens, which the key ring still decrypts. Running it again only touches what is left.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from huikuan.security.crypto import FieldCipher

ENCRYPTED_COLUMNS: tuple[tuple[Any, str, str], ...] = (
    (Debtor, "name_enc", "debtor.name"),
    (Debtor, "id_number_enc", "debtor.id_number"),
    (ContactPoint, "value_enc", "contact.value"),
    (ContactPoint, "owner_name_enc", "contact.owner_name"),
    (OutboxMessage, "recipient", "contact.value"),
)


def rotate_all(engine: Engine, cipher: FieldCipher, batch: int = 5_000) -> dict[str, int]:
    """Rewrite every token not under the current key; returns rows rewritten per column."""
    counts: dict[str, int] = {}
    with transaction(engine) as session:
        for model, column, context in ENCRYPTED_COLUMNS:
            counts[f"{model.__tablename__}.{column}"] = _rotate_column(
                session, cipher, model, column, context, batch
            )
    return counts


def _rotate_column(
    session: Session, cipher: FieldCipher, model: Any, column: str, context: str, batch: int
) -> int:
    attribute = getattr(model, column)
    current = f"v1:{cipher.ring.current_id}:"
    stale = select(model.id, attribute).where(
        attribute.is_not(None), attribute.startswith("v1:"), ~attribute.startswith(current)
    )
    rewritten = 0
    pending: list[dict[str, Any]] = []
    for key, token in session.execute(stale).all():
        pending.append({"id": key, column: cipher.rotate(token, context=context)})
        if len(pending) >= batch:
            session.execute(update(model), pending)
            rewritten += len(pending)
            pending = []
    if pending:
        session.execute(update(model), pending)
        rewritten += len(pending)
    return rewritten
