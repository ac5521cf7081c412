"""The JSON API under ``/api``: the same reads and actions as the pages, as pydantic models.

Callers authenticate with the browser session (cookie, plus ``X-CSRF-Token`` on unsafe
methods) or with ``Authorization: Bearer <token>`` through the app's bearer hook (the creditor
API's tokens). Errors are JSON: 401 without credentials, 403 for a role that may not, 404 for
anything outside the caller's scope (never saying whether it exists).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from huikuan.org.models import User
from huikuan.web.auth import CurrentPrincipal
from huikuan.web.deps import CaseId, Cipher, Config, DbSession
from huikuan.web.queries import MAX_OFFSET, case_detail, work_queue
from huikuan.web.schemas import CaseRead, MeRead, QueueRead, RevealCreate, RevealRead
from huikuan.web.service import reveal_field

router = APIRouter(prefix="/api", tags=["workbench"])

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Not signed in, or the token is not valid"},
    403: {"description": "Not allowed for this role, or the CSRF token is missing"},
    404: {"description": "Not found or outside the caller's scope"},
}


@router.get("/me", response_model=MeRead, responses=ERRORS)
def me(principal: CurrentPrincipal, session: DbSession) -> MeRead:
    display_name = session.scalar(select(User.display_name).where(User.id == principal.user_id))
    return MeRead(
        username=principal.username,
        display_name=display_name or principal.username,
        role=principal.role.value,
        creditor_id=principal.creditor_id,
        agency_id=principal.agency_id,
        team_id=principal.team_id,
    )


@router.get("/queue", response_model=QueueRead, responses=ERRORS)
def queue(
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> QueueRead:
    return work_queue(session, principal, today=config.business_date(), limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseRead, responses=ERRORS)
def case(case_id: CaseId, principal: CurrentPrincipal, session: DbSession) -> CaseRead:
    return case_detail(session, principal, case_id)


@router.post("/cases/{case_id}/reveal", response_model=RevealRead, responses=ERRORS)
def reveal(
    case_id: CaseId,
    body: RevealCreate,
    principal: CurrentPrincipal,
    session: DbSession,
    cipher: Cipher,
    config: Config,
) -> RevealRead:
    """The field in full, for a role that may see it; recorded in the audit log."""
    value = reveal_field(
        session,
        principal,
        case_id,
        body.field,
        contact_id=body.contact_id,
        cipher=cipher,
        at=config.now(),
    )
    return RevealRead(field=body.field, value=value)
