"""QA services on SQLite and PostgreSQL: the seeded sample and its highlights, exact score
sheets and the agent's quality score, complaint deadlines and escalation, and the holds that
complaints and disputes put on a case, as the compliance guard then sees them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, principal_for
from huikuan.audit.models import AuditLog
from huikuan.cases.models import Hold
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.db.engine import transaction
from huikuan.quality import service
from huikuan.quality.models import Complaint
from huikuan.quality.scorecard import CRITERIA
from huikuan.quality.service import ConflictError, InvalidInputError, NotAllowedError
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import START, World, build_world
from tests.web_quality.conftest import add_quality_data

BEIJING = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 20)
ALL_PASS = {c.code: "pass" for c in CRITERIA}


@pytest.fixture
def qworld(engine: Engine, cipher: FieldCipher) -> World:
    return add_quality_data(build_world(engine, cipher))


def _call(session: Session, case_id: int, at: datetime) -> str:
    """What the guard says to agent a1 phoning the case's debtor at ``at``."""
    proposal = propose_contact(
        session,
        principal_for(session, "a1"),
        case_id,
        ProposedContact(at=at, channel="phone", call_type="agent"),
    )
    rules = {reason.rule_id for reason in proposal.verdict.reasons}
    return proposal.verdict.decision.value + (" HOLD" if "CN-CBA-2026-HOLD" in rules else "")


def test_the_sample_is_seeded_scoped_and_highlighted(qworld: World) -> None:
    with transaction(qworld.engine) as s:
        qa = principal_for(s, "qa")
        first = service.sample_contacts(s, qa, on=TODAY, size=3, now=START)
        again = service.sample_contacts(s, qa, on=TODAY, size=3, now=START)
        assert first.population == 5  # two earlier attempts on c1, and the three added
        assert [c.attempt_id for c in first.contacts] == [c.attempt_id for c in again.contacts]
        assert len(first.contacts) == 3
        # Another reviewer or another day draws with another seed: over a handful of days at
        # least one draw differs (a fixed draw would mean the seed is ignored).
        draws = {
            tuple(
                c.attempt_id
                for c in service.sample_contacts(
                    s, principal_for(s, who), on=TODAY + timedelta(days=d), size=2, now=START
                ).contacts
            )
            for who in ("qa", "mgr")
            for d in range(3)
        }
        assert len(draws) > 1
        everything = service.sample_contacts(s, qa, on=TODAY, size=50, now=START)
        by_id = {c.attempt_id: c for c in everything.contacts}
        sms = by_id[qworld.ids["qa_sms"]]
        assert sms.decision == "blocked"
        assert sms.reasons[0].rule_id == "CN-CONTENT-FALSE-LEGAL"
        assert sms.content is not None
        assert [seg.text for seg in sms.content.segments if seg.marked] == ["坐牢"]
        assert "".join(seg.text for seg in sms.content.segments) == sms.content.text
        call = by_id[qworld.ids["qa_call"]]
        assert call.content is None
        assert call.note is not None
        assert [seg.text for seg in call.note.segments if seg.marked] == ["告诉你家人"]
        assert call.categories == ["disclosure"]
        assert by_id[qworld.ids["qa_clean"]].categories == []
        texts = service.sample_contacts(s, qa, on=TODAY, size=50, text_only=True, now=START)
        assert texts.population == 3
        # The agency's QA sees only the agency's case.
        agency = service.sample_contacts(s, principal_for(s, "xqa"), on=TODAY, size=50, now=START)
        assert [c.attempt_id for c in agency.contacts] == [qworld.ids["qa_clean"]]
        with pytest.raises(NotAllowedError):
            service.sample_contacts(s, principal_for(s, "a1"), on=TODAY, now=START)
        with pytest.raises(InvalidInputError) as too_many:
            service.sample_contacts(s, qa, on=TODAY, size=51, now=START)
        assert too_many.value.field == "size"


def test_score_sheets_are_exact_and_feed_the_agents_quality_score(qworld: World) -> None:
    ids = qworld.ids
    with transaction(qworld.engine) as s:
        qa = principal_for(s, "qa")
        earlier = s.scalars(
            select(ContactAttempt.id).where(
                ContactAttempt.case_id == ids["c1"], ContactAttempt.decision == "allowed"
            )
        ).one()
        good = service.create_review(
            s,
            qa,
            ids["qa_sms"],
            scores=ALL_PASS | {"plan_options_offered": "partial"},
            comment="ok",
            now=START,
        )
        assert good.total == 95
        assert good.agent_id == ids["a1"]
        critical = service.create_review(
            s, qa, earlier, scores=ALL_PASS | {"no_threats_insults": "fail"}, now=START
        )
        assert critical.total == 0
        # 95 and 0 over 18–19 November: 47.5, half up.
        assert service.quality_score(s, ids["a1"], date(2026, 11, 18), date(2026, 11, 19)) == 48
        assert service.quality_score(s, ids["a1"], date(2026, 11, 18), date(2026, 11, 18)) == 95
        assert service.quality_score(s, ids["a1"], date(2026, 11, 1), date(2026, 11, 17)) is None
        assert service.quality_score(s, ids["a2"], date(2026, 11, 1), date(2026, 11, 30)) is None
        with pytest.raises(ConflictError):
            service.create_review(s, qa, ids["qa_sms"], scores=ALL_PASS, now=START)
        with pytest.raises(InvalidInputError) as missing:
            service.create_review(
                s, qa, ids["qa_call"], scores={"identity_disclosed": "pass"}, now=START
            )
        assert missing.value.field == "purpose_stated"
        with pytest.raises(InvalidInputError) as not_na:
            service.create_review(
                s, qa, ids["qa_call"], scores=ALL_PASS | {"identity_disclosed": "na"}, now=START
            )
        assert not_na.value.field == "identity_disclosed"
        with pytest.raises(AccessDeniedError):  # the agency QA may not see case c1
            service.create_review(
                s, principal_for(s, "xqa"), ids["qa_sms"], scores=ALL_PASS, now=START
            )
        sheet = service.review_sheet(s, qa, ids["qa_call"])
        assert sheet.suggested == {"no_third_party_disclosure": "fail"}
        assert sheet.can_review
        actions = s.scalars(select(AuditLog.action).where(AuditLog.action == "qa.reviewed")).all()
        assert len(actions) == 2


def test_nobody_scores_their_own_contact(qworld: World) -> None:
    with transaction(qworld.engine) as s:
        own = ContactAttempt(
            case_id=qworld.ids["c1"],
            debtor_id=qworld.ids["c1_debtor"],
            at=START,
            channel="sms",
            content="测试",
            executed=True,
            decision="allowed",
            reasons=[],
            actor="mgr",
        )
        s.add(own)
        s.flush()
        mgr = principal_for(s, "mgr")
        assert not service.review_sheet(s, mgr, own.id).can_review
        with pytest.raises(NotAllowedError):
            service.create_review(s, mgr, own.id, scores=ALL_PASS, now=START)


def test_complaint_deadlines_by_source() -> None:
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=BEIJING)
    phone = service.deadlines(service.Source.PHONE, friday)
    assert phone.acknowledge_by == datetime(2026, 11, 24, 0, 0, tzinfo=BEIJING)  # Monday 24:00
    assert phone.resolve_by == datetime(2026, 12, 6, 0, 0, tzinfo=BEIJING)  # 15 calendar days
    regulator = service.deadlines(service.Source.REGULATOR_12378, friday)
    assert regulator.resolve_by == datetime(2026, 11, 28, 0, 0, tzinfo=BEIJING)  # 5 working days
    # Across National Day 2026 (1–7 October off, Saturday 10 October worked).
    before_holiday = datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)
    national_day = service.deadlines(service.Source.REGULATOR_12378, before_holiday)
    assert national_day.acknowledge_by == datetime(2026, 10, 9, 0, 0, tzinfo=BEIJING)
    assert national_day.resolve_by == datetime(2026, 10, 14, 0, 0, tzinfo=BEIJING)
    # Past the last announced holiday year: calendar days, never later than working days.
    year_end = service.deadlines(
        service.Source.REGULATOR_12378, datetime(2026, 12, 29, 10, 0, tzinfo=BEIJING)
    )
    assert year_end.resolve_by == datetime(2027, 1, 4, 0, 0, tzinfo=BEIJING)


def test_conduct_complaints_hold_the_case_until_the_last_one_is_resolved(qworld: World) -> None:
    c1 = qworld.ids["c1"]
    call_at = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
    with transaction(qworld.engine) as s:
        qa = principal_for(s, "qa")
        assert _call(s, c1, call_at) == "allowed"
        amount = service.open_complaint(
            s, qa, case_id=c1, source="phone", category="amount", summary="利息太高", now=START
        )
        assert amount.hold_id is None
        assert not amount.about_conduct
        first = service.open_complaint(
            s,
            qa,
            case_id=c1,
            source="regulator_12378",
            category="collector_conduct",
            summary="催收员辱骂",
            now=START,
        )
        assert first.hold_active
        assert first.owner == "qa"
        assert first.due_at == datetime(2026, 11, 28, 0, 0, tzinfo=BEIJING)
        second = service.open_complaint(
            s,
            principal_for(s, "a1"),  # an agent may register a complaint on their own case
            case_id=c1,
            source="debtor_page",
            category="harassment",
            summary="一天打了很多次电话",
            now=START,
        )
        assert second.hold_id == first.hold_id  # one complaint hold per case
        assert second.owner is None
        assert _call(s, c1, call_at + timedelta(minutes=5)) == "blocked HOLD"
        service.resolve_complaint(s, qa, first.id, resolution="已核实并致歉", now=START)
        assert _call(s, c1, call_at + timedelta(minutes=10)) == "blocked HOLD"
        done = service.resolve_complaint(s, qa, second.id, resolution="已调整频率", now=START)
        assert not done.hold_active
        assert done.status == "resolved"
        assert done.timer is None
        hold = s.get(Hold, first.hold_id)
        assert hold is not None
        assert hold.ended_on == TODAY
        assert hold.kind == "complaint"
        assert _call(s, c1, call_at + timedelta(minutes=15)) == "allowed"
        with pytest.raises(ConflictError):
            service.resolve_complaint(s, qa, first.id, resolution="again", now=START)
        with pytest.raises(InvalidInputError) as blank:
            service.resolve_complaint(s, qa, amount.id, resolution="  ", now=START)
        assert blank.value.field == "resolution"
        with pytest.raises(AccessDeniedError):  # a1 does not hold case c3
            service.open_complaint(
                s,
                principal_for(s, "a1"),
                case_id=qworld.ids["c3"],
                source="phone",
                category="other",
                summary="x",
                now=START,
            )
        with pytest.raises(NotAllowedError):
            service.open_complaint(
                s,
                principal_for(s, "cli_a"),
                case_id=c1,
                source="creditor",
                category="other",
                summary="x",
                now=START,
            )
        with pytest.raises(InvalidInputError) as future:
            service.open_complaint(
                s,
                qa,
                case_id=c1,
                source="phone",
                category="other",
                summary="x",
                received_at=START + timedelta(hours=1),
                now=START,
            )
        assert future.value.field == "received_at"


def test_overdue_complaints_escalate_once_with_a_timer(qworld: World) -> None:
    with transaction(qworld.engine) as s:
        qa = principal_for(s, "qa")
        late = service.open_complaint(
            s,
            qa,
            case_id=qworld.ids["c1"],
            source="phone",
            category="other",
            summary="x",
            now=START,
        )
        assert late.timer is not None
        assert late.timer.deadline == "acknowledge"
        assert (late.timer.overdue, late.timer.amount, late.timer.unit) == (False, 3, "d")
        acked = service.open_complaint(
            s,
            qa,
            case_id=qworld.ids["c3"],
            source="phone",
            category="other",
            summary="y",
            now=START,
        )
        service.acknowledge_complaint(s, qa, acked.id, now=START)
        with pytest.raises(ConflictError):
            service.acknowledge_complaint(s, qa, acked.id, now=START)
        assert service.escalate_overdue(s, START + timedelta(days=3)) == []
        tuesday = datetime(2026, 11, 24, 9, 0, tzinfo=BEIJING)
        assert service.escalate_overdue(s, tuesday) == [late.id]
        assert service.escalate_overdue(s, tuesday) == []
        read = service.get_complaint(s, qa, late.id, now=tuesday)
        assert read.status == "escalated"
        assert read.escalation_reason == "acknowledge"
        assert read.timer is not None
        assert (read.timer.overdue, read.timer.amount, read.timer.unit) == (True, 9, "h")
        # The acknowledged one escalates when the 15 days run out.
        after = datetime(2026, 12, 6, 0, 1, tzinfo=BEIJING)
        assert service.escalate_overdue(s, after) == [acked.id]
        listed = service.list_complaints(s, qa, now=after, status="escalated")
        assert {c.id for c in listed} == {late.id, acked.id}
        assert service.list_complaints(s, principal_for(s, "xqa"), now=after) == []


def test_a_dispute_stops_collection_until_someone_else_decides_it(qworld: World) -> None:
    c1 = qworld.ids["c1"]
    call_at = datetime(2026, 11, 20, 10, 0, tzinfo=BEIJING)
    with transaction(qworld.engine) as s:
        a1 = principal_for(s, "a1")
        qa = principal_for(s, "qa")
        dispute = service.open_dispute(
            s, a1, case_id=c1, reason="already_paid", evidence_note="转账凭证 2026-11-01", now=START
        )
        assert dispute.hold_active
        assert dispute.status == "open"
        assert _call(s, c1, call_at) == "blocked HOLD"
        with pytest.raises(NotAllowedError):  # agents do not decide disputes
            service.decide_dispute(s, a1, dispute.id, outcome="rejected", note="x", now=START)
        with pytest.raises(InvalidInputError) as bad:
            service.decide_dispute(s, qa, dispute.id, outcome="maybe", note="x", now=START)
        assert bad.value.field == "outcome"
        upheld = service.decide_dispute(
            s, qa, dispute.id, outcome="upheld", note="已核实到账", now=START
        )
        assert upheld.status == "upheld"
        assert upheld.adjustment_follow_up
        assert not upheld.hold_active
        assert upheld.decided_by == "qa"
        assert _call(s, c1, call_at + timedelta(minutes=5)) == "allowed"
        with pytest.raises(ConflictError):
            service.decide_dispute(s, qa, dispute.id, outcome="rejected", note="x", now=START)
        own = service.open_dispute(s, qa, case_id=c1, reason="amount_wrong", now=START)
        with pytest.raises(NotAllowedError):  # maker–checker
            service.decide_dispute(s, qa, own.id, outcome="rejected", note="x", now=START)
        rejected = service.decide_dispute(
            s, principal_for(s, "mgr"), own.id, outcome="rejected", note="金额无误", now=START
        )
        assert not rejected.adjustment_follow_up
        assert [d.id for d in service.list_disputes(s, qa)] == [own.id, dispute.id]
        audit = s.scalars(
            select(AuditLog.action).where(AuditLog.action.in_(("hold.started", "hold.lifted")))
        ).all()
        assert sorted(audit) == ["hold.lifted", "hold.lifted", "hold.started", "hold.started"]


def test_times_are_stored_and_read_back_in_utc(qworld: World) -> None:
    with transaction(qworld.engine) as s:
        made = service.open_complaint(
            s,
            principal_for(s, "qa"),
            case_id=qworld.ids["c1"],
            source="creditor",
            category="other",
            summary="x",
            received_at=datetime(2026, 11, 20, 8, 30, tzinfo=BEIJING),
            now=START,
        )
    with transaction(qworld.engine) as s:
        read = service.get_complaint(s, principal_for(s, "qa"), made.id, now=START)
    assert read.received_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    assert read.acknowledge_due_at == made.acknowledge_due_at


def test_the_command_line_escalates_overdue_complaints(
    sqlite_engine: Engine, cipher: FieldCipher
) -> None:
    world = add_quality_data(build_world(sqlite_engine, cipher))
    with transaction(world.engine) as s:
        old = service.open_complaint(
            s,
            principal_for(s, "qa"),
            case_id=world.ids["c1"],
            source="creditor",
            category="other",
            summary="x",
            # Years before any clock this test can run under: overdue whatever today is.
            received_at=datetime(2020, 1, 2, 9, 0, tzinfo=BEIJING),
            now=START,
        )
    env = os.environ | {"HUIKUAN_DATABASE_URL": str(world.engine.url)}
    done = subprocess.run(
        [sys.executable, "-m", "huikuan.quality", "escalate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"[{old.id}]" in done.stdout
    with transaction(world.engine) as s:
        complaint = s.get(Complaint, old.id)
        assert complaint is not None
        assert complaint.status == "escalated"
