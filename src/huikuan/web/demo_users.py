"""Demo sign-ins: one user per role with a known password, printed when the demo server starts.

Data flow: ``serve`` (or a test) calls :func:`seed_demo_users` after the demo portfolio is
loaded → for each role it picks the existing demo user (``huikuan demo`` creates ``agent11``,
``lead1``, ``manager`` …; for agents and team leads the in-house one holding the most cases) or
creates one → it sets the role's demo password unless that password already works, so running
it again changes nothing. Never use these passwords outside a demo database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.assignment.service import WORKED_STATES
from huikuan.cases.models import Assignment, Case
from huikuan.org.models import Creditor, Role, User
from huikuan.web.auth import default_hasher

ACTOR = "demo"
NEW_AGENT_CASES = 20  # a freshly created demo agent gets this many unassigned in-house cases


def demo_password(role: str) -> str:
    """``agent`` → ``huikuan-agent``; ``team_lead`` → ``huikuan-team-lead``."""
    return f"huikuan-{role.replace('_', '-')}"


def _works(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    if stored is None:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _busiest(session: Session, role: Role) -> User | None:
    """The in-house user of ``role`` holding the most worked cases (any, if none hold cases)."""
    column = Case.agent_id if role is Role.AGENT else Case.team_id
    key = User.id if role is Role.AGENT else User.team_id
    held = (
        select(column.label("holder"), func.count().label("n"))
        .where(Case.state.in_(WORKED_STATES), Case.agency_id.is_(None))
        .group_by(column)
        .subquery()
    )
    return session.scalars(
        select(User)
        .outerjoin(held, held.c.holder == key)
        .where(User.role == role.value, User.agency_id.is_(None), User.active.is_(True))
        .order_by(func.coalesce(held.c.n, 0).desc(), User.id)
        .limit(1)
    ).first()


def _pick(session: Session, role: Role) -> User | None:
    if role in (Role.AGENT, Role.TEAM_LEAD):
        return _busiest(session, role)
    return session.scalars(
        select(User)
        .where(User.role == role.value, User.active.is_(True))
        .order_by(User.agency_id.is_not(None), User.id)
        .limit(1)
    ).first()


def _create(session: Session, role: Role, *, as_of: date) -> User:
    username = f"{role.value.replace('_', '')}01"
    existing = session.scalars(select(User).where(User.username == username)).one_or_none()
    if existing is not None:
        existing.active = True
        return existing
    user = User(username=username, display_name=f"演示 {role.value}", role=role.value)
    if role is Role.CREDITOR_CLIENT:
        user.creditor_id = session.scalar(select(Creditor.id).order_by(Creditor.id).limit(1))
    if role is Role.TEAM_LEAD:
        agent = _busiest(session, Role.AGENT)
        user.team_id = agent.team_id if agent is not None else None
    session.add(user)
    session.flush()
    if role is Role.AGENT:
        free = session.scalars(
            select(Case)
            .where(
                Case.agent_id.is_(None),
                Case.agency_id.is_(None),
                Case.state.in_(WORKED_STATES),
            )
            .order_by(Case.id)
            .limit(NEW_AGENT_CASES)
        ).all()
        for case in free:
            case.agent_id = user.id
            session.add(
                Assignment(
                    case_id=case.id,
                    agent_id=user.id,
                    team_id=case.team_id,
                    agency_id=None,
                    reason="demo",
                    actor=ACTOR,
                    assigned_on=as_of,
                )
            )
    return user


def seed_demo_users(
    session: Session,
    *,
    password_for: Callable[[str], str] | None = None,
    hasher: PasswordHasher | None = None,
    as_of: date | None = None,
) -> list[tuple[str, str, str]]:
    """One usable sign-in per role: ``[(username, role, password), …]`` in :class:`Role` order.

    ``password_for`` maps a role value to its password (default :func:`demo_password`);
    ``as_of`` dates the assignment of cases to a newly created agent (default: 2026-11-20,
    the demo's business date).
    """
    hasher = hasher or default_hasher()
    choose = password_for or demo_password
    day = as_of or date(2026, 11, 20)
    seeded: list[tuple[str, str, str]] = []
    for role in Role:
        user = _pick(session, role) or _create(session, role, as_of=day)
        password = choose(role.value)
        if not _works(hasher, user.password_hash, password):
            user.password_hash = hasher.hash(password)
        seeded.append((user.username, role.value, password))
    session.flush()
    return seeded
