"""Every contact path asks the guard; the decision is stored with the attempt (both databases)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, principal_for
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.models import AuditLog
from huikuan.cases.models import Case, Hold
from huikuan.compliance.models import ContactAttempt, DebtorEvent
from huikuan.compliance.request import RequestError
from huikuan.compliance.service import (
    OverrideRefusedError,
    ProposedContact,
    override_attempt,
    propose_contact,
    record_debtor_event,
)
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.org.models import Creditor, User
from huikuan.security.crypto import FieldCipher

BEIJING = timezone(timedelta(hours=8))


def _agent_case(engine: Engine) -> tuple[str, int, int | None]:
    """An in-house agent, one of their cases, and the debtor's own mobile."""
    with transaction(engine) as session:
        case = session.scalars(
            select(Case)
            .where(Case.agent_id.is_not(None), Case.agency_id.is_(None))
            .order_by(Case.id)
        ).first()
        assert case is not None
        username = session.scalar(select(User.username).where(User.id == case.agent_id))
        assert username is not None
        mobile = session.scalar(
            select(ContactPoint.id).where(
                ContactPoint.debtor_id == case.debtor_id,
                ContactPoint.owner_type == "self",
                ContactPoint.kind == "mobile",
            )
        )
        return username, case.id, mobile


def test_quiet_hours_cap_and_hold_through_the_service(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine,
        accounts=200,
        as_of=date(2026, 11, 20),
        days=1,
        seed=12,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    username, case_id, mobile = _agent_case(engine)
    with transaction(engine) as session:
        agent = principal_for(session, username)
        late = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=datetime(2026, 11, 21, 22, 30, tzinfo=BEIJING),
                channel="phone",
                contact_point_id=mobile,
            ),
        )
        assert late.verdict.decision.value == "deferred"
        assert late.verdict.next_allowed_at == datetime(2026, 11, 22, 8, 0, tzinfo=BEIJING)
        decisions = []
        for minute in range(7):  # six unanswered attempts to one number, then the seventh
            proposal = propose_contact(
                session,
                agent,
                case_id,
                ProposedContact(
                    at=datetime(2026, 11, 21, 9, minute * 5, tzinfo=BEIJING),
                    channel="phone",
                    contact_point_id=mobile,
                ),
                outcome="unanswered",
            )
            decisions.append(proposal.verdict.decision.value)
        assert decisions == ["allowed"] * 6 + ["deferred"]
        attempts = session.scalars(
            select(ContactAttempt).where(ContactAttempt.case_id == case_id)
        ).all()
        assert [a.executed for a in attempts].count(True) == 6
        stopped = [a for a in attempts if not a.executed]
        assert all(a.reasons for a in stopped)
        assert {r["rule_id"] for a in stopped for r in a.reasons} >= {
            "CN-CBA-2026-QUIET-HOURS",
            "CN-CBA-2026-UNANSWERED-6",
        }
        session.add(
            Hold(case_id=case_id, kind="dispute", started_on=date(2026, 11, 21), actor="qa")
        )
        session.flush()
        held = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING),
                channel="sms",
                contact_point_id=mobile,
                content="您好，这里是华夏示范银行信用卡中心，工号1024，提醒您账单还款。",
            ),
        )
        assert held.verdict.decision.value == "blocked"
        assert session.scalar(
            select(AuditLog.action).where(AuditLog.action == "contact.proposed").limit(1)
        )
        with pytest.raises(AccessDeniedError):
            propose_contact(
                session,
                principal_for(session, "creditor"),
                10**9,
                ProposedContact(at=datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING), channel="phone"),
            )


NEW_YORK = timezone(timedelta(hours=-5))


def test_presumed_violations_can_be_overridden_by_a_supervisor_only(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine,
        accounts=120,
        as_of=date(2026, 11, 20),
        days=1,
        seed=13,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    username, case_id, mobile = _agent_case(engine)
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        session.execute(
            update(Creditor).where(Creditor.id == case.creditor_id).values(jurisdiction="US")
        )
        session.execute(
            update(Debtor).where(Debtor.id == case.debtor_id).values(timezone="America/New_York")
        )
        agent = principal_for(session, username)
        first = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=datetime(2026, 11, 23, 10, 0, tzinfo=NEW_YORK),
                channel="phone",
                contact_point_id=mobile,
            ),
            outcome="conversation",
        )
        assert first.verdict.allowed
        # Reg F §1006.14(b)(2)(i)(B): calling within 7 days of a conversation is presumed wrong.
        again = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=datetime(2026, 11, 24, 10, 0, tzinfo=NEW_YORK),
                channel="phone",
                contact_point_id=mobile,
            ),
        )
        assert again.verdict.decision.value == "deferred"
        assert all(reason.override_eligible for reason in again.verdict.reasons)
        with pytest.raises(OverrideRefusedError, match="may not approve"):
            override_attempt(
                session,
                agent,
                again.attempt_id,
                reason_code="consumer_request",
                at=datetime(2026, 11, 24, 10, 5, tzinfo=NEW_YORK),
            )
        lead = principal_for(session, _lead_of(session, case.team_id))
        with pytest.raises(OverrideRefusedError, match="unknown reason"):
            override_attempt(
                session,
                lead,
                again.attempt_id,
                reason_code="because",
                at=datetime(2026, 11, 24, 10, 5, tzinfo=NEW_YORK),
            )
        override_attempt(
            session,
            lead,
            again.attempt_id,
            reason_code="consumer_request",
            at=datetime(2026, 11, 24, 10, 5, tzinfo=NEW_YORK),
        )
        attempt = session.get(ContactAttempt, again.attempt_id)
        assert attempt is not None
        assert attempt.executed
        assert attempt.decision == "overridden"
        late = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=datetime(2026, 11, 25, 22, 30, tzinfo=NEW_YORK),
                channel="phone",
                contact_point_id=mobile,
            ),
        )
        assert not late.verdict.allowed
        with pytest.raises(OverrideRefusedError, match="not overridable"):
            override_attempt(
                session,
                lead,
                late.attempt_id,
                reason_code="consumer_request",
                at=datetime(2026, 11, 25, 22, 31, tzinfo=NEW_YORK),
            )
        actions = set(session.scalars(select(AuditLog.action)))
        assert "contact.override" in actions


def _lead_of(session: Session, team_id: int | None) -> str:
    name = session.scalar(
        select(User.username).where(User.team_id == team_id, User.role == "team_lead")
    )
    assert name is not None
    return str(name)


def test_recorded_consent_and_opt_out_change_what_the_guard_allows(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine,
        accounts=120,
        as_of=date(2026, 11, 20),
        days=1,
        seed=14,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    username, case_id, mobile = _agent_case(engine)
    late = datetime(2026, 11, 21, 22, 30, tzinfo=BEIJING)
    with transaction(engine) as session:
        agent = principal_for(session, username)
        before = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(at=late, channel="phone", contact_point_id=mobile),
        )
        assert before.verdict.decision.value == "deferred"
        # The debtor asked to be called after work, tonight (C10: consent lifts quiet hours).
        record_debtor_event(
            session,
            agent,
            case_id,
            {
                "datetime": "2026-11-21T18:00:00+08:00",
                "channel": "consent",
                "party": "consumer",
                "consent_type": "inconvenient_time",
                "consent_to_call_at": "2026-11-21T22:30:00+08:00",
                "given_directly_to_collector": True,
            },
        )
        after = propose_contact(
            session,
            agent,
            case_id,
            ProposedContact(
                at=late + timedelta(minutes=1), channel="phone", contact_point_id=mobile
            ),
        )
        assert after.verdict.allowed
        with pytest.raises(RequestError, match=r"event\.datetime"):
            record_debtor_event(
                session, agent, case_id, {"datetime": "yesterday", "channel": "consent"}
            )
        stored = session.scalars(select(DebtorEvent)).all()
        assert len(stored) == 1
