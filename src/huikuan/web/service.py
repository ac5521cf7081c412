"""Actions on a case shared by the HTML pages and the JSON API (each is audited).

Data flow: route → :func:`reveal_field` checks the role may see the field at all (403 when not,
so the page can say why), then :func:`huikuan.access.policy.reveal` checks the case is in scope
(404 when not), decrypts and appends the ``pii.reveal`` entry to the audit log in the request's
transaction.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, reveal
from huikuan.security.crypto import FieldCipher
from huikuan.web.queries import revealable


def reveal_field(
    session: Session,
    principal: Principal,
    case_id: int,
    field: str,
    *,
    contact_id: int | None,
    cipher: FieldCipher,
    at: datetime,
) -> str:
    if field not in revealable(principal):
        raise HTTPException(status_code=403)

    def decrypt(token: str, context: str) -> str:
        return cipher.decrypt(token, context=context)

    return reveal(session, principal, case_id, field, decrypt=decrypt, at=at, contact_id=contact_id)
