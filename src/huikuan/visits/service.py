"""Field visits (外访): plan through the contact guard, check in, record the outcome.

Data flow. Planning: the case must be in the planner's scope (``get_case``), the address must be
the debtor's own, and every collector an active agent or team lead of the case's agency (and its
team, when it has one) → :func:`huikuan.compliance.service.propose_contact` with channel
``visit`` and ``collector_count`` (so the CN rule of at least two collectors and the quiet hours
apply; the attempt and its verdict are stored as the guard's evidence) → a :class:`FieldVisit`
row carrying the verdict: ``planned`` when allowed, else ``blocked`` or ``deferred`` (kept, never
dropped). Check-in: by one of the collectors of a planned visit; the guard is asked again for the
actual moment (nothing stored), the location is encrypted and kept masked. Outcome: by one of
the collectors after check-in; notes are screened with
:func:`huikuan.compliance.content.screen_note` (a banned phrase refuses them, warnings are kept
beside them) and the outcome is copied onto the guard's attempt. Every change is audited with
masked values only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, case_filter, get_case
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.compliance.content import screen_note
from huikuan.compliance.engine import check
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.registry import default_packs
from huikuan.compliance.service import ProposedContact, build_request, propose_contact
from huikuan.org.models import Role, User
from huikuan.security.crypto import FieldCipher
from huikuan.visits.models import FieldVisit, FieldVisitCollector

VISIT_ROLES = frozenset({Role.AGENT, Role.TEAM_LEAD})
COLLECTOR_ROLES = frozenset({Role.AGENT.value, Role.TEAM_LEAD.value})
OUTCOMES: tuple[str, ...] = (
    "met_debtor",
    "not_home",
    "moved",
    "refused",
    "promise",
    "third_party_only",
    "address_invalid",
    "other",
)
STATUS_OF = {"allowed": "planned", "deferred": "deferred", "blocked": "blocked"}
LOCATION_LIMIT = 200
NOTES_LIMIT = 2000


class VisitRefusedError(ValueError):
    """The request is wrong: ``field`` is the form field, ``code`` the reason (catalogue key
    ``visits.error.<code>``), ``reasons`` the guard's or screen's findings when they refused."""

    def __init__(
        self, field: str, code: str, reasons: list[dict[str, object]] | None = None
    ) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.reasons = reasons or []


class NotCollectorError(PermissionError):
    """Only the visit's own collectors check in and record its outcome."""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _may_visit(principal: Principal) -> None:
    if principal.role not in VISIT_ROLES:
        raise AccessDeniedError(f"role {principal.role.value} does not plan field visits")


def mask_location(text: str) -> str:
    """The first few characters only: ``朝阳区建国路88号`` → ``朝阳区建****``."""
    keep = min(4, max(1, len(text) // 4))
    return text[:keep] + "****"


# ---------------------------------------------------------------------------------------------
# Choices for the planning form


@dataclass(frozen=True, slots=True)
class AddressChoice:
    contact_point_id: int
    masked: str
    status: str


@dataclass(frozen=True, slots=True)
class CollectorChoice:
    user_id: int
    username: str
    display_name: str


@dataclass(frozen=True, slots=True)
class PlanningChoices:
    case_id: int
    case_no: str
    debtor_masked: str | None
    addresses: tuple[AddressChoice, ...]
    collectors: tuple[CollectorChoice, ...]


def _eligible_collectors(session: Session, case: Case) -> list[User]:
    query = select(User).where(
        User.active.is_(True),
        User.role.in_(sorted(COLLECTOR_ROLES)),
        User.agency_id.is_(None) if case.agency_id is None else User.agency_id == case.agency_id,
    )
    if case.team_id is not None:
        query = query.where(User.team_id == case.team_id)
    return list(session.scalars(query.order_by(User.username)))


def _addresses(session: Session, case: Case) -> list[ContactPoint]:
    return list(
        session.scalars(
            select(ContactPoint)
            .where(
                ContactPoint.debtor_id == case.debtor_id,
                ContactPoint.kind == "address",
                ContactPoint.owner_type == "self",
                ContactPoint.status != "invalid",
            )
            .order_by(ContactPoint.id)
        )
    )


def planning_choices(session: Session, principal: Principal, case_id: int) -> PlanningChoices:
    _may_visit(principal)
    case = get_case(session, principal, case_id)
    debtor = session.get(Debtor, case.debtor_id)
    return PlanningChoices(
        case_id=case.id,
        case_no=case.case_no,
        debtor_masked=debtor.name_masked if debtor else None,
        addresses=tuple(
            AddressChoice(p.id, p.value_masked, p.status) for p in _addresses(session, case)
        ),
        collectors=tuple(
            CollectorChoice(u.id, u.username, u.display_name)
            for u in _eligible_collectors(session, case)
        ),
    )


# ---------------------------------------------------------------------------------------------
# Planning, check-in, outcome


def plan_visit(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    contact_point_id: int,
    planned_at: datetime,
    collector_ids: list[int],
    now: datetime,
) -> FieldVisit:
    """Ask the guard about a visit and keep it with the verdict (whatever the verdict)."""
    _may_visit(principal)
    case = get_case(session, principal, case_id)
    if contact_point_id not in {p.id for p in _addresses(session, case)}:
        raise VisitRefusedError("contact_point_id", "address")
    chosen = sorted(set(collector_ids))
    if not chosen:
        raise VisitRefusedError("collector_ids", "collectors_required")
    eligible = {u.id for u in _eligible_collectors(session, case)}
    if any(user_id not in eligible for user_id in chosen):
        raise VisitRefusedError("collector_ids", "collector_invalid")
    planned_at = _utc(planned_at)
    if planned_at < _utc(now):
        raise VisitRefusedError("planned_at", "planned_past")
    proposal = propose_contact(
        session,
        principal,
        case.id,
        ProposedContact(
            at=planned_at,
            channel="visit",
            contact_point_id=contact_point_id,
            collector_count=len(chosen),
        ),
    )
    verdict = proposal.verdict
    visit = FieldVisit(
        case_id=case.id,
        contact_point_id=contact_point_id,
        planned_at=planned_at,
        status=STATUS_OF[verdict.decision.value],
        decision=verdict.decision.value,
        reasons=[r.as_json() for r in (*verdict.reasons, *verdict.warnings)],
        next_allowed_at=verdict.next_allowed_at,
        attempt_id=proposal.attempt_id,
        planned_by=principal.username,
        created_at=_utc(now),
    )
    session.add(visit)
    session.flush()
    session.add_all(FieldVisitCollector(visit_id=visit.id, user_id=u) for u in chosen)
    record(
        session,
        at=now,
        actor=principal.username,
        action="visit.planned",
        entity="case",
        entity_id=case.id,
        detail={
            "visit": visit.id,
            "attempt": proposal.attempt_id,
            "planned_at": planned_at.isoformat(),
            "collectors": chosen,
            "decision": verdict.decision.value,
            "rules": sorted({r.rule_id for r in verdict.reasons}),
        },
    )
    return visit


def _collector_ids(session: Session, visit_id: int) -> list[int]:
    return list(
        session.scalars(
            select(FieldVisitCollector.user_id)
            .where(FieldVisitCollector.visit_id == visit_id)
            .order_by(FieldVisitCollector.user_id)
        )
    )


def _parse_coordinates(text: str) -> tuple[float, float] | None:
    if not text.strip():
        return None
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    if len(parts) != 2:
        raise VisitRefusedError("coordinates", "coordinates")
    try:
        lat, lng = float(parts[0]), float(parts[1])
    except ValueError:
        raise VisitRefusedError("coordinates", "coordinates") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise VisitRefusedError("coordinates", "coordinates")
    return lat, lng


def check_in(
    session: Session,
    principal: Principal,
    visit_id: int,
    *,
    location: str,
    coordinates: str,
    cipher: FieldCipher,
    now: datetime,
) -> FieldVisit:
    """One of the collectors arrives: the guard is asked again for this very moment."""
    visit = _visit_for_reading(session, principal, visit_id)
    collectors = _collector_ids(session, visit.id)
    if principal.user_id not in collectors:
        raise NotCollectorError(f"{principal.username} is not on visit {visit_id}")
    if visit.status != "planned":
        raise VisitRefusedError("status", "not_planned")
    location = location.strip()
    if len(location) > LOCATION_LIMIT:
        raise VisitRefusedError("location", "location_long")
    point = _parse_coordinates(coordinates)
    if not location and point is None:
        raise VisitRefusedError("location", "location_required")
    case = session.get(Case, visit.case_id)
    assert case is not None
    request = build_request(
        session,
        case,
        ProposedContact(
            at=_utc(now),
            channel="visit",
            contact_point_id=visit.contact_point_id,
            collector_count=len(collectors),
        ),
    )
    verdict = check(request, default_packs())
    if not verdict.allowed:
        raise VisitRefusedError("checked_in_at", "guard", [r.as_json() for r in verdict.reasons])
    visit.checked_in_at = _utc(now)
    visit.checked_in_by = principal.user_id
    if location:
        visit.location_enc = cipher.encrypt(location, context="visit.location")
        visit.location_masked = mask_location(location)
    if point is not None:
        visit.coordinates_enc = cipher.encrypt(
            f"{point[0]:.6f},{point[1]:.6f}", context="visit.coordinates"
        )
    visit.status = "checked_in"
    record(
        session,
        at=now,
        actor=principal.username,
        action="visit.checked_in",
        entity="case",
        entity_id=visit.case_id,
        detail={
            "visit": visit.id,
            "location": visit.location_masked,
            "coordinates": point is not None,
        },
    )
    return visit


def _hit_json(hit: Any) -> dict[str, object]:
    return {
        "category": hit.category.value,
        "phrase": hit.phrase,
        "matched": hit.matched,
        "effect": hit.effect.value,
    }


def record_outcome(
    session: Session,
    principal: Principal,
    visit_id: int,
    *,
    outcome: str,
    notes: str,
    now: datetime,
) -> FieldVisit:
    """What happened, by one of the collectors after check-in; the notes are screened."""
    visit = _visit_for_reading(session, principal, visit_id)
    if principal.user_id not in _collector_ids(session, visit.id):
        raise NotCollectorError(f"{principal.username} is not on visit {visit_id}")
    if visit.status != "checked_in":
        raise VisitRefusedError("status", "not_checked_in")
    if outcome not in OUTCOMES:
        raise VisitRefusedError("outcome", "outcome")
    notes = notes.strip()
    if len(notes) > NOTES_LIMIT:
        raise VisitRefusedError("notes", "notes_long")
    screened = screen_note(notes)
    if screened.blocked:
        raise VisitRefusedError("notes", "notes_banned", [_hit_json(h) for h in screened.blocking])
    visit.outcome = outcome
    visit.notes = notes
    visit.note_warnings = [_hit_json(h) for h in screened.warnings] or None
    visit.outcome_at = _utc(now)
    visit.outcome_by = principal.user_id
    visit.status = "done"
    if visit.attempt_id is not None:
        attempt = session.get(ContactAttempt, visit.attempt_id)
        if attempt is not None:
            attempt.outcome = f"visit_{outcome}"[:48]
    record(
        session,
        at=now,
        actor=principal.username,
        action="visit.outcome",
        entity="case",
        entity_id=visit.case_id,
        detail={
            "visit": visit.id,
            "outcome": outcome,
            "note_warnings": sorted({h.category.value for h in screened.warnings}),
        },
    )
    return visit


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True, slots=True)
class VisitRow:
    visit_id: int
    case_id: int
    case_no: str
    debtor_masked: str | None
    address_masked: str
    planned_at: datetime
    status: str
    decision: str
    next_allowed_at: datetime | None
    reasons: tuple[dict[str, object], ...]
    collectors: tuple[str, ...]  # usernames
    collector_ids: tuple[int, ...]
    planned_by: str
    checked_in_at: datetime | None
    location_masked: str | None
    outcome: str | None
    notes: str | None
    note_warnings: tuple[dict[str, object], ...]


def _rows(session: Session, visits: list[FieldVisit]) -> list[VisitRow]:
    if not visits:
        return []
    ids = [v.id for v in visits]
    names: dict[int, list[tuple[int, str]]] = {}
    for visit_id, user_id, username in session.execute(
        select(FieldVisitCollector.visit_id, User.id, User.username)
        .join(User, User.id == FieldVisitCollector.user_id)
        .where(FieldVisitCollector.visit_id.in_(ids))
        .order_by(User.username)
    ):
        names.setdefault(int(visit_id), []).append((int(user_id), str(username)))
    facts = {
        int(visit_id): (str(case_no), masked, str(address))
        for visit_id, case_no, masked, address in session.execute(
            select(FieldVisit.id, Case.case_no, Debtor.name_masked, ContactPoint.value_masked)
            .join(Case, Case.id == FieldVisit.case_id)
            .join(Debtor, Debtor.id == Case.debtor_id)
            .join(ContactPoint, ContactPoint.id == FieldVisit.contact_point_id)
            .where(FieldVisit.id.in_(ids))
        )
    }
    rows = []
    for v in visits:
        case_no, masked, address = facts[v.id]
        who = names.get(v.id, [])
        rows.append(
            VisitRow(
                visit_id=v.id,
                case_id=v.case_id,
                case_no=case_no,
                debtor_masked=masked,
                address_masked=address,
                planned_at=_utc(v.planned_at),
                status=v.status,
                decision=v.decision,
                next_allowed_at=_utc(v.next_allowed_at) if v.next_allowed_at else None,
                reasons=tuple(v.reasons or ()),
                collectors=tuple(name for _, name in who),
                collector_ids=tuple(user_id for user_id, _ in who),
                planned_by=v.planned_by,
                checked_in_at=_utc(v.checked_in_at) if v.checked_in_at else None,
                location_masked=v.location_masked,
                outcome=v.outcome,
                notes=v.notes,
                note_warnings=tuple(v.note_warnings or ()),
            )
        )
    return rows


def list_visits(session: Session, principal: Principal, *, limit: int = 200) -> list[VisitRow]:
    """Visits on the cases in the principal's scope, latest planned first."""
    _may_visit(principal)
    visits = list(
        session.scalars(
            select(FieldVisit)
            .join(Case, Case.id == FieldVisit.case_id)
            .where(case_filter(principal))
            .order_by(FieldVisit.planned_at.desc(), FieldVisit.id.desc())
            .limit(limit)
        )
    )
    # Collectors see the visits they go on even when the case sits in a colleague's queue.
    mine = list(
        session.scalars(
            select(FieldVisit)
            .join(FieldVisitCollector, FieldVisitCollector.visit_id == FieldVisit.id)
            .where(FieldVisitCollector.user_id == principal.user_id)
            .order_by(FieldVisit.planned_at.desc())
            .limit(limit)
        )
    )
    seen = {v.id for v in visits}
    merged = visits + [v for v in mine if v.id not in seen]
    merged.sort(key=lambda v: (_utc(v.planned_at), v.id), reverse=True)
    return _rows(session, merged[:limit])


def get_visit(session: Session, principal: Principal, visit_id: int) -> VisitRow:
    visit = _visit_for_reading(session, principal, visit_id)
    return _rows(session, [visit])[0]


def _visit_for_reading(session: Session, principal: Principal, visit_id: int) -> FieldVisit:
    _may_visit(principal)
    visit = session.get(FieldVisit, visit_id)
    if visit is None:
        raise AccessDeniedError(f"no visit {visit_id}")
    if principal.user_id in _collector_ids(session, visit.id):
        return visit
    get_case(session, principal, visit.case_id)
    return visit


@dataclass(frozen=True, slots=True)
class CaseChoice:
    case_id: int
    case_no: str


def plannable_cases(
    session: Session, principal: Principal, *, limit: int = 200
) -> list[CaseChoice]:
    """Open cases in the principal's scope, for the planning form's case list."""
    _may_visit(principal)
    closed = ("settled", "recalled", "written_off")
    rows = session.execute(
        select(Case.id, Case.case_no)
        .where(case_filter(principal), Case.state.not_in(closed))
        .order_by(Case.case_no)
        .limit(limit)
    )
    return [CaseChoice(int(case_id), str(case_no)) for case_id, case_no in rows]
