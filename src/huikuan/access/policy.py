"""Tenancy and personal-data rules.

Scopes, from the widest: in-house managers, QA and legal see every case of the lender; an agency's
staff see only cases placed with their agency; team leads only their team's; agents only their own
queue; creditor clients only their own creditor's portfolio. Unmasked personal data is shown only
to the roles that need it (:data:`REVEAL_ROLES`), only for a case in scope, and every reveal is
audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.org.models import Role, User


class AccessDeniedError(PermissionError):
    """The user may not do this; the message never says whether the thing exists."""


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    user_id: int
    role: Role
    creditor_id: int | None = None
    agency_id: int | None = None
    team_id: int | None = None

    @property
    def in_house(self) -> bool:
        return self.agency_id is None and self.role is not Role.CREDITOR_CLIENT


def principal_for(session: Session, username: str) -> Principal:
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.active:
        raise AccessDeniedError(f"unknown or inactive user {username!r}")
    return Principal(
        username=user.username,
        user_id=user.id,
        role=Role(user.role),
        creditor_id=user.creditor_id,
        agency_id=user.agency_id,
        team_id=user.team_id,
    )


def case_filter(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause limiting ``cases`` to what ``principal`` may see."""
    role = principal.role
    if role is Role.CREDITOR_CLIENT:
        if principal.creditor_id is None:
            return false()
        return Case.creditor_id == principal.creditor_id
    scope: ColumnElement[bool] = true()
    if principal.agency_id is not None:
        scope = Case.agency_id == principal.agency_id
    if role is Role.AGENT:
        return scope & (Case.agent_id == principal.user_id)
    if role is Role.TEAM_LEAD:
        if principal.team_id is None:
            return false()
        return scope & (Case.team_id == principal.team_id)
    if role in (Role.MANAGER, Role.QA, Role.LEGAL, Role.ADMIN):
        return scope
    return false()


def can_see_case(principal: Principal, case: Case) -> bool:
    """The same rule as :func:`case_filter`, for a case already loaded."""
    role = principal.role
    if role is Role.CREDITOR_CLIENT:
        return principal.creditor_id is not None and case.creditor_id == principal.creditor_id
    if principal.agency_id is not None and case.agency_id != principal.agency_id:
        return False
    if role is Role.AGENT:
        return case.agent_id == principal.user_id
    if role is Role.TEAM_LEAD:
        return principal.team_id is not None and case.team_id == principal.team_id
    return role in (Role.MANAGER, Role.QA, Role.LEGAL, Role.ADMIN)


def get_case(session: Session, principal: Principal, case_id: int) -> Case:
    case = session.scalars(
        select(Case).where(Case.id == case_id, case_filter(principal))
    ).one_or_none()
    if case is None:
        raise AccessDeniedError(f"case {case_id} is not available to {principal.username}")
    return case


# Which roles may see each personal field unmasked (minimum necessary, PIPL art. 6).
REVEAL_ROLES: dict[str, frozenset[Role]] = {
    "name": frozenset({Role.AGENT, Role.TEAM_LEAD, Role.QA, Role.LEGAL, Role.MANAGER}),
    "mobile": frozenset({Role.AGENT, Role.TEAM_LEAD, Role.LEGAL}),
    "id_number": frozenset({Role.LEGAL}),
}


def reveal(
    session: Session,
    principal: Principal,
    case_id: int,
    field: str,
    *,
    decrypt: Callable[[str, str], str],
    at: datetime,
    contact_id: int | None = None,
) -> str:
    """Unmasked personal data of the case's debtor, for a role that needs it; audited.

    ``decrypt(token, context)`` is the field cipher's decrypt. ``field`` is ``name``,
    ``id_number`` or ``mobile`` (a contact point of the case's debtor, by ``contact_id``).
    """
    allowed = REVEAL_ROLES.get(field)
    if allowed is None:
        raise ValueError(f"unknown personal field {field!r}")
    if principal.role not in allowed:
        raise AccessDeniedError(f"role {principal.role.value} may not see {field} unmasked")
    case = get_case(session, principal, case_id)
    debtor = session.get(Debtor, case.debtor_id)
    if debtor is None:
        raise AccessDeniedError(f"case {case_id} has no debtor record")
    token: str | None
    masked: str | None
    if field == "mobile":
        contact = session.get(ContactPoint, contact_id) if contact_id is not None else None
        if contact is None or contact.debtor_id != debtor.id:
            raise AccessDeniedError(f"contact {contact_id} is not on case {case_id}")
        token, context, masked = contact.value_enc, "contact.value", contact.value_masked
    elif field == "name":
        token, context, masked = debtor.name_enc, "debtor.name", debtor.name_masked
    else:
        token, context, masked = debtor.id_number_enc, "debtor.id_number", debtor.id_number_masked
    if token is None:
        raise AccessDeniedError(f"{field} of case {case_id} has been anonymised")
    value = decrypt(token, context)
    record(
        session,
        at=at,
        actor=principal.username,
        action="pii.reveal",
        entity="case",
        entity_id=case_id,
        detail={"field": field, "shown": masked, "contact_id": contact_id},
    )
    return value
