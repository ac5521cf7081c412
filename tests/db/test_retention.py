"""Retention: agency access ends with the placement; personal data goes, money and audit stay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from huikuan.access.policy import AccessDeniedError, principal_for, reveal
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.audit.service import verify
from huikuan.cases.models import Case, Placement
from huikuan.core.retention import DEFAULT_RULES, RecordType, add_years, is_due, rule_for, tighten
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.payments.models import Payment
from huikuan.retention.service import ANONYMISED, run_retention
from huikuan.security.crypto import FieldCipher

AT = datetime(2032, 1, 5, 2, 0, tzinfo=UTC)


def test_retention_rules_take_the_longest_period_and_refuse_shorter_ones() -> None:
    rule = rule_for(DEFAULT_RULES, RecordType.DEBTOR_PERSONAL_DATA)
    assert rule.years == 5
    assert not is_due(date(2026, 3, 1), date(2031, 2, 28), rule)
    assert is_due(date(2026, 3, 1), date(2031, 3, 1), rule)
    assert not is_due(None, date(2099, 1, 1), rule)
    assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)
    longer = tighten(DEFAULT_RULES, {RecordType.DEBTOR_PERSONAL_DATA: 7})
    assert rule_for(longer, RecordType.DEBTOR_PERSONAL_DATA).years == 7
    with pytest.raises(ValueError, match="shorter"):
        tighten(DEFAULT_RULES, {RecordType.CALL_RECORDING: 1})


def test_retention_run_on_the_database(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> None:
    load_demo(
        engine,
        accounts=300,
        as_of=date(2026, 11, 20),
        days=1,
        seed=6,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    with transaction(engine) as session:
        agency_cases = session.scalar(select(func.count()).where(Case.agency_id.is_not(None)))
        closed = list(session.scalars(select(Case.id).order_by(Case.id).limit(10)))
        # Ten cases were settled in 2026; one debtor's case closed only last year.
        session.execute(
            update(Case)
            .where(Case.id.in_(closed))
            .values(state="settled", closed_on=date(2026, 11, 20))
        )
        session.execute(
            update(Case).where(Case.id == closed[-1]).values(closed_on=date(2031, 6, 1))
        )
        money_before = session.scalar(select(func.sum(Account.principal + Account.interest)))
        payments_before = session.scalar(select(func.count()).select_from(Payment))
    assert agency_cases
    assert agency_cases > 0

    report = run_retention(engine, as_of=date(2032, 1, 5), actor="retention", at=AT)
    assert report.placements_ended >= 1
    assert report.cases_returned_from_agencies == agency_cases
    assert report.debtors_anonymised == 9
    assert report.contact_points_deleted >= 9
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).where(Case.agency_id.is_not(None))) == 0
        assert session.scalar(select(func.count()).where(Placement.status == "ended")) >= 1
        gone = session.scalars(select(Debtor).where(Debtor.anonymised_on.is_not(None))).all()
        assert len(gone) == 9
        assert all(d.name_enc is None and d.id_number_enc is None for d in gone)
        assert all(d.name_masked == ANONYMISED for d in gone)
        left = session.scalar(
            select(func.count()).where(ContactPoint.debtor_id.in_([d.id for d in gone]))
        )
        assert left == 0
        assert (
            session.scalar(select(func.sum(Account.principal + Account.interest))) == money_before
        )
        assert session.scalar(select(func.count()).select_from(Payment)) == payments_before
        assert verify(session) == []
        legal = principal_for(session, "legal")
        case_id = session.scalar(select(Case.id).where(Case.debtor_id == gone[0].id))
        assert case_id is not None
        with pytest.raises(AccessDeniedError, match="anonymised"):
            reveal(session, legal, case_id, "id_number", decrypt=lambda t, c: t, at=AT)
    again = run_retention(engine, as_of=date(2032, 1, 5), actor="retention", at=AT)
    assert again.as_json() == {
        "as_of": "2032-01-05",
        "placements_ended": 0,
        "cases_returned_from_agencies": 0,
        "debtors_anonymised": 0,
        "contact_points_deleted": 0,
    }
