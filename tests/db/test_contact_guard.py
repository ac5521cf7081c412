"""Every contact path asks the guard; the decision is stored with the attempt (both databases)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from huikuan.access.policy import AccessDeniedError, principal_for
from huikuan.accounts.models import ContactPoint
from huikuan.audit.models import AuditLog
from huikuan.cases.models import Case, Hold
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.org.models import User
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
