"""Applying the retention rules of :mod:`huikuan.core.retention` to the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case, Placement
from huikuan.compliance.models import ContactAttempt
from huikuan.core.retention import DEFAULT_RULES, RecordType, RetentionRule, expires_on, rule_for
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage

ANONYMISED = "已匿名"
FINAL_STATES = ("settled", "recalled")


@dataclass(frozen=True, slots=True)
class RetentionReport:
    as_of: date
    placements_ended: int
    cases_returned_from_agencies: int
    debtors_anonymised: int
    contact_points_deleted: int

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "placements_ended": self.placements_ended,
            "cases_returned_from_agencies": self.cases_returned_from_agencies,
            "debtors_anonymised": self.debtors_anonymised,
            "contact_points_deleted": self.contact_points_deleted,
        }


def run_retention(
    engine: Engine,
    *,
    as_of: date,
    actor: str,
    at: datetime,
    rules: tuple[RetentionRule, ...] = DEFAULT_RULES,
) -> RetentionReport:
    with transaction(engine) as session:
        ended, returned = _end_agency_placements(session, as_of)
        anonymised, deleted = _anonymise_closed_debtors(session, as_of, rules)
        report = RetentionReport(as_of, ended, returned, anonymised, deleted)
        if any((ended, returned, anonymised, deleted)):
            record(
                session,
                at=at,
                actor=actor,
                action="retention.run",
                entity="retention",
                entity_id=as_of.isoformat(),
                detail=report.as_json(),
            )
        return report


def _end_agency_placements(session: Session, as_of: date) -> tuple[int, int]:
    """Placements past their period end (委案到期): any of their cases still with an agency
    leave it (PIPL art. 21: the entrusted party returns or deletes the data at the end)."""
    due = list(
        session.scalars(
            select(Placement.id).where(Placement.status == "active", Placement.ends_on < as_of)
        )
    )
    if not due:
        return 0, 0
    returning = select(func.count()).where(Case.placement_id.in_(due), Case.agency_id.is_not(None))
    returned = int(session.scalar(returning) or 0)
    session.execute(
        update(Case)
        .where(Case.placement_id.in_(due), Case.agency_id.is_not(None))
        .values(agency_id=None, agent_id=None, team_id=None)
    )
    session.execute(update(Placement).where(Placement.id.in_(due)).values(status="ended"))
    return len(due), returned


def _anonymise_closed_debtors(
    session: Session, as_of: date, rules: tuple[RetentionRule, ...]
) -> tuple[int, int]:
    """Debtors whose every case is closed (settled or recalled) for longer than the period."""
    rule = rule_for(rules, RecordType.DEBTOR_PERSONAL_DATA)
    open_case = aliased(Case)
    last_closed = (
        select(Case.debtor_id, func.max(Case.closed_on).label("closed_on"))
        .where(Case.state.in_(FINAL_STATES))
        .group_by(Case.debtor_id)
        .subquery()
    )
    candidates = session.execute(
        select(Debtor.id, last_closed.c.closed_on)
        .join(last_closed, last_closed.c.debtor_id == Debtor.id)
        .where(
            Debtor.anonymised_on.is_(None),
            ~exists().where(
                and_(open_case.debtor_id == Debtor.id, open_case.state.not_in(FINAL_STATES))
            ),
        )
    ).all()
    due = [
        int(debtor_id)
        for debtor_id, closed_on in candidates
        if closed_on and as_of >= expires_on(closed_on, rule)
    ]
    if not due:
        return 0, 0
    deleted = 0
    for start in range(0, len(due), 5_000):
        chunk = due[start : start + 5_000]
        in_chunk = ContactPoint.debtor_id.in_(chunk)
        points = select(ContactPoint.id).where(in_chunk).scalar_subquery()
        # Contact records and sent messages stay (they prove compliance) but lose the link to
        # the deleted address and the encrypted recipient.
        session.execute(
            update(ContactAttempt)
            .where(ContactAttempt.contact_point_id.in_(points))
            .values(contact_point_id=None)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.contact_point_id.in_(points))
            .values(contact_point_id=None, recipient=ANONYMISED)
        )
        deleted += int(session.scalar(select(func.count()).where(in_chunk)) or 0)
        session.execute(delete(ContactPoint).where(in_chunk))
        session.execute(
            update(Debtor)
            .where(Debtor.id.in_(chunk))
            .values(
                name_enc=None,
                name_masked=ANONYMISED,
                id_number_enc=None,
                id_number_hash=None,
                id_number_masked=ANONYMISED,
                anonymised_on=as_of,
            )
        )
    return len(due), deleted
