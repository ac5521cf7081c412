"""The lead's services on SQLite and PostgreSQL: board figures, approvals with maker–checker and
limits, escalation, 调案 within capacity, overrides, and the refusals."""

from __future__ import annotations

import doctest
import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from tests.web.conftest import TODAY, World
from tests.web_lead.conftest import build_lead_world

from huikuan.access.policy import AccessDeniedError, Principal, principal_for
from huikuan.approvals import limits, service
from huikuan.approvals.limits import PlanFigures, PlanKind, TermsUnreadableError, figures_of
from huikuan.approvals.models import ApprovalDecision
from huikuan.approvals.schemas import DecisionRead, ReassignCreate
from huikuan.approvals.service import (
    LeadRefusedError,
    Refusal,
    approval_queue,
    decide_plan,
    override,
    override_queue,
    reassign,
    team_board,
)
from huikuan.assignment.engine import ReassignmentRefused, ReassignReason
from huikuan.audit.models import AuditLog
from huikuan.audit.service import verify
from huikuan.cases.models import Assignment, Case, CaseTransition, Plan
from huikuan.compliance.models import ContactAttempt, ContactOverride
from huikuan.db.engine import transaction
from huikuan.org.models import Role
from huikuan.security.crypto import FieldCipher

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def both(engine: Engine, cipher: FieldCipher) -> World:
    return build_lead_world(engine, cipher)


def who(engine: Engine, username: str) -> Principal:
    with transaction(engine) as session:
        return principal_for(session, username)


def decide(
    engine: Engine, username: str, plan_id: int, decision: str, comment: str = ""
) -> DecisionRead:
    with transaction(engine) as session:
        return decide_plan(
            session, who(engine, username), plan_id, decision=decision, comment=comment, at=AT
        )


def test_doctests() -> None:
    assert doctest.testmod(limits).failed == 0
    assert doctest.testmod(service).failed == 0


def test_limits_are_one_table_and_escalate_upwards() -> None:
    lead, manager = limits.LIMITS[Role.TEAM_LEAD], limits.LIMITS[Role.MANAGER]
    assert (lead.max_waiver_ppm, lead.max_waiver_amount, lead.max_months) == (200_000, 500_000, 24)
    assert (manager.max_waiver_ppm, manager.max_waiver_amount, manager.max_months) == (
        500_000,
        5_000_000,
        60,
    )
    # Exactly at the limit is within it; one fen more is not.
    edge = PlanFigures(PlanKind.WAIVER, 0, 500_000, 2_500_000)
    assert limits.check_limit(Role.TEAM_LEAD, edge).within
    over = PlanFigures(PlanKind.WAIVER, 0, 500_001, 2_500_005)
    check = limits.check_limit(Role.TEAM_LEAD, over)
    assert not check.within
    assert check.escalate_to is Role.MANAGER
    assert "needs a manager" in check.message()
    beyond = limits.check_limit(Role.MANAGER, PlanFigures(PlanKind.INSTALMENT, 61, 0, 10))
    assert beyond.escalate_to is None
    assert "needs approval above your limit" in beyond.message()
    assert not limits.check_limit(Role.AGENT, edge).within
    # A waiver on nothing owed is never within any limit.
    assert limits.required_role(PlanFigures(PlanKind.WAIVER, 0, 1, 0)) is None


@pytest.mark.parametrize(
    ("kind", "terms"),
    [
        ("waiver", {}),
        ("waiver", {"waived": -1}),
        ("waiver", {"waived": {"fees": 5}}),
        ("settlement", {"waived": "100"}),
        ("instalment", {"amount": 5}),
        ("instalment", {"months": True}),
        ("loan", {"months": 3}),
    ],
)
def test_unreadable_terms_are_refused_with_the_field_named(
    kind: str, terms: dict[str, object]
) -> None:
    with pytest.raises(TermsUnreadableError, match=r"terms|kind"):
        figures_of(kind, terms, 10_000)


def test_terms_read_by_the_contract() -> None:
    assert figures_of("instalment", {"schedule": [{}, {}, {}]}, 1).months == 3
    settlement = figures_of("settlement", {"waived": {"fee": 5, "penalty": 7}, "months": 2}, 100)
    assert (settlement.waived, settlement.months, settlement.waived_ppm) == (12, 2, 120_000)


def test_the_board_counts_each_agents_day(both: World) -> None:
    with transaction(both.engine) as session:
        board = team_board(session, who(both.engine, "lead"), today=TODAY)
    rows = {row.username: row for row in board.rows}
    assert set(rows) == {"a1", "a2"}  # the lead's team only: not b1 (IN-2) nor x1 (agency)
    a1, a2 = rows["a1"], rows["a2"]
    assert (a1.open_cases, a2.open_cases) == (2, 1)
    assert a1.balance == 1_024_134 + 1_029_634
    assert (a1.calls_open, a1.calls_done, a2.calls_open, a2.calls_done) == (2, 1, 0, 1)
    assert (a1.ptp_due_today, a1.ptp_due_today_amount) == (1, 88_800)
    assert (a1.ptp_kept_week, a1.ptp_broken_week, a1.kept_rate_percent) == (1, 1, 50)
    # Yesterday's attempts (the base world's) do not count; today's do.
    assert (a1.contacts_today, a1.blocked_today, a1.deferred_today) == (1, 1, 0)
    assert (a2.contacts_today, a2.blocked_today, a2.deferred_today) == (0, 1, 1)
    assert board.totals.open_cases == 3
    assert board.totals.calls_open == 2
    assert board.week_start.isoformat() == "2026-11-16"


def test_board_scope_per_role(both: World) -> None:
    with transaction(both.engine) as session:
        manager = {
            row.username for row in team_board(session, who(both.engine, "mgr"), today=TODAY).rows
        }
        agency = {
            row.username for row in team_board(session, who(both.engine, "xlead"), today=TODAY).rows
        }
        with pytest.raises(LeadRefusedError) as refused:
            team_board(session, who(both.engine, "a1"), today=TODAY)
    assert manager == {"a1", "a2", "b1"}  # every in-house agent, no agency agents
    assert agency == {"x1", "x2"}
    assert refused.value.status == 403


def test_a_lead_approves_an_instalment_plan_and_the_case_enters_the_plan(both: World) -> None:
    ids = both.ids
    made = decide(both.engine, "lead", ids["p_inst"], "approve", "收入证明已核实")
    assert made.decision == "approved"
    with transaction(both.engine) as session:
        plan = session.get_one(Plan, ids["p_inst"])
        assert (plan.status, plan.approved_by) == ("approved", "lead")
        assert session.get_one(Case, ids["c1"]).state == "in_plan"
        moved = session.scalars(
            select(CaseTransition).where(CaseTransition.case_id == ids["c1"])
        ).one()
        assert (moved.from_state, moved.to_state, moved.reason) == (
            "active",
            "in_plan",
            "plan_agreed",
        )
        row = session.scalars(
            select(ApprovalDecision).where(ApprovalDecision.plan_id == ids["p_inst"])
        ).one()
        assert (row.decision, row.decided_by, row.role, row.comment) == (
            "approved",
            "lead",
            "team_lead",
            "收入证明已核实",
        )
        assert row.limit_code == "APPROVAL-LIMITS@1:team_lead"
        assert row.figures["months"] == 6
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.seq)))
        assert actions[-2:] == ["case.transition", "plan.approved"]
        assert verify(session) == []
    # The queue no longer shows it.
    with transaction(both.engine) as session:
        queue = approval_queue(session, who(both.engine, "lead"))
    assert ids["p_inst"] not in {row.plan_id for row in queue.rows}


def test_a_waiver_within_the_limit_leaves_the_case_state(both: World) -> None:
    made = decide(both.engine, "lead", both.ids["p_small"], "approve")
    assert made.decision == "approved"
    with transaction(both.engine) as session:
        assert session.get_one(Case, both.ids["c3"]).state == "active"


def test_nobody_approves_their_own_proposal(both: World) -> None:
    with pytest.raises(LeadRefusedError) as refused:
        decide(both.engine, "lead", both.ids["p_own"], "approve")
    assert refused.value.code is Refusal.OWN
    assert refused.value.status == 403
    assert "nobody approves their own" in refused.value.message
    with pytest.raises(LeadRefusedError):
        decide(both.engine, "lead", both.ids["p_own"], "reject", "withdrawn")
    # Another checker may.
    assert decide(both.engine, "mgr", both.ids["p_own"], "approve").decision == "approved"


def test_over_the_leads_limit_is_refused_and_escalated_to_the_manager(both: World) -> None:
    ids = both.ids
    made = decide(both.engine, "lead", ids["p_share"], "approve", "请经理审批")
    assert made.decision == "escalated"
    assert made.escalated_to == "manager"
    assert "needs a manager" in made.message
    with transaction(both.engine) as session:
        assert session.get_one(Plan, ids["p_share"]).status == "proposed"
        assert session.get_one(Case, ids["c1b"]).state == "active"
        manager_queue = approval_queue(session, who(both.engine, "mgr"))
    first = manager_queue.rows[0]
    assert (first.plan_id, first.escalated, first.escalated_to) == (ids["p_share"], True, "manager")
    assert first.within_limit
    # Trying again records no second escalation; the manager then approves.
    decide(both.engine, "lead", ids["p_share"], "approve")
    assert decide(both.engine, "mgr", ids["p_share"], "approve").decision == "approved"
    with transaction(both.engine) as session:
        decisions = list(
            session.scalars(
                select(ApprovalDecision.decision)
                .where(ApprovalDecision.plan_id == ids["p_share"])
                .order_by(ApprovalDecision.id)
            )
        )
    assert decisions == ["escalated", "approved"]


def test_months_beyond_every_limit_need_approval_above_the_manager(both: World) -> None:
    lead = decide(both.engine, "lead", both.ids["p_long"], "approve")
    assert lead.decision == "escalated"
    made = decide(both.engine, "mgr", both.ids["p_huge"], "approve")
    assert made.decision == "escalated"
    assert made.escalated_to is None
    assert "needs approval above your limit" in made.message
    # Beyond every limit it can still be rejected, with a comment.
    with pytest.raises(LeadRefusedError) as refused:
        decide(both.engine, "mgr", both.ids["p_huge"], "reject", "  ")
    assert refused.value.code is Refusal.COMMENT
    assert "comment" in refused.value.message
    assert (
        decide(both.engine, "mgr", both.ids["p_huge"], "reject", "期数过长").decision == "rejected"
    )


def test_a_plan_is_decided_once(both: World) -> None:
    decide(both.engine, "lead", both.ids["p_inst"], "approve")
    with pytest.raises(LeadRefusedError) as again:
        decide(both.engine, "mgr", both.ids["p_inst"], "approve")
    assert again.value.code is Refusal.DECIDED
    assert again.value.status == 409
    with transaction(both.engine) as session:
        count = session.scalar(
            select(func.count(ApprovalDecision.id)).where(
                ApprovalDecision.plan_id == both.ids["p_inst"]
            )
        )
    assert count == 1


def test_out_of_scope_and_wrong_roles_are_refused(both: World) -> None:
    with pytest.raises(AccessDeniedError):
        decide(both.engine, "lead", both.ids["p_other"], "approve")
    with pytest.raises(AccessDeniedError):
        decide(both.engine, "xlead", both.ids["p_inst"], "approve")
    with pytest.raises(AccessDeniedError):
        decide(both.engine, "lead", 999_999, "approve")
    with pytest.raises(LeadRefusedError) as role:
        decide(both.engine, "qa", both.ids["p_inst"], "approve")
    assert role.value.status == 403


def test_an_approval_that_cannot_move_the_case_changes_nothing(both: World) -> None:
    with transaction(both.engine) as session:
        session.get_one(Case, both.ids["c1"]).state = "legal"
    with pytest.raises(LeadRefusedError) as refused:
        decide(both.engine, "lead", both.ids["p_inst"], "approve")
    assert refused.value.code is Refusal.STATE
    with transaction(both.engine) as session:
        assert session.get_one(Plan, both.ids["p_inst"]).status == "proposed"
        assert session.scalar(select(func.count(ApprovalDecision.id))) == 0


def test_reassign_within_scope_respects_capacity_and_writes_history(both: World) -> None:
    ids = both.ids
    lead = who(both.engine, "lead")
    too_many = ReassignCreate(
        case_ids=[ids["c1"], ids["c1b"]], to_agent_id=ids["a2"], reason=ReassignReason.WORKLOAD
    )
    with pytest.raises(ReassignmentRefused, match="over capacity"):
        reassign(both.engine, lead, too_many, as_of=TODAY, at=AT)
    one = ReassignCreate(
        case_ids=[ids["c1"]], to_agent_id=ids["a2"], reason=ReassignReason.WORKLOAD
    )
    done = reassign(both.engine, lead, one, as_of=TODAY, at=AT)
    assert [(m.case_id, m.from_agent_id, m.to_agent_id) for m in done.moved] == [
        (ids["c1"], ids["a1"], ids["a2"])
    ]
    with transaction(both.engine) as session:
        assert session.get_one(Case, ids["c1"]).agent_id == ids["a2"]
        history = session.scalars(select(Assignment).where(Assignment.case_id == ids["c1"])).one()
        assert (history.reason, history.actor) == ("manual:workload", "lead")
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "case.reassign")).one()
        assert json.loads(entry.detail)["to_agent"] == ids["a2"]


def test_reassign_refuses_agents_and_cases_outside_the_scope(both: World) -> None:
    ids = both.ids
    lead = who(both.engine, "lead")
    to_other_team = ReassignCreate(
        case_ids=[ids["c1"]], to_agent_id=ids["b1"], reason=ReassignReason.WORKLOAD
    )
    with pytest.raises(AccessDeniedError):
        reassign(both.engine, lead, to_other_team, as_of=TODAY, at=AT)
    other_case = ReassignCreate(
        case_ids=[ids["c5"]], to_agent_id=ids["a2"], reason=ReassignReason.WORKLOAD
    )
    with pytest.raises(AccessDeniedError):
        reassign(both.engine, lead, other_case, as_of=TODAY, at=AT)
    # An agency lead moves the agency's case between the agency's agents.
    agency_move = ReassignCreate(
        case_ids=[ids["c2"]], to_agent_id=ids["x2"], reason=ReassignReason.AGENT_LEFT
    )
    done = reassign(both.engine, who(both.engine, "xlead"), agency_move, as_of=TODAY, at=AT)
    assert [m.to_agent_id for m in done.moved] == [ids["x2"]]


def test_overrides_list_only_overridable_attempts_of_the_team(both: World) -> None:
    ids = both.ids
    with transaction(both.engine) as session:
        queue = override_queue(session, who(both.engine, "lead"), now=AT)
    listed = {row.attempt_id: row for row in queue.rows}
    assert set(listed) == {ids["t_7in7"], ids["t_a2"], ids["t_own"]}
    assert listed[ids["t_own"]].own
    assert listed[ids["t_7in7"]].rules[0].rule_id == "US-REGF-1006.14(b)(2)(i)"
    assert "dropped_call" in queue.reasons


def test_a_lead_overrides_a_presumed_violation_but_not_their_own(both: World) -> None:
    ids = both.ids
    lead = who(both.engine, "lead")
    with transaction(both.engine) as session:
        made = override(
            session, lead, ids["t_7in7"], reason_code="dropped_call", note="回拨", at=AT
        )
    assert (made.decision, made.requested_by, made.approver) == ("overridden", "a1", "lead")
    with transaction(both.engine) as session:
        assert session.get_one(ContactAttempt, ids["t_7in7"]).executed
        assert session.scalars(select(ContactOverride)).one().reason_code == "dropped_call"
        with pytest.raises(LeadRefusedError) as own:
            override(session, lead, ids["t_own"], reason_code="dropped_call", note="", at=AT)
        assert own.value.code is Refusal.OWN
        with pytest.raises(LeadRefusedError) as hard:
            override(session, lead, ids["t_hard"], reason_code="dropped_call", note="", at=AT)
        assert hard.value.status == 409
        assert "CN-QUIET-HOURS" in hard.value.message
        with pytest.raises(LeadRefusedError) as unknown:
            override(session, lead, ids["t_a2"], reason_code="because", note="", at=AT)
        assert unknown.value.status == 422
        with pytest.raises(AccessDeniedError):
            override(session, lead, ids["t_other"], reason_code="dropped_call", note="", at=AT)


def test_two_approvers_at_once_decide_a_plan_once(cipher: FieldCipher, engine: Engine) -> None:
    """PostgreSQL: the row lock makes the second approver wait, then see it decided."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers itself")
    world = build_lead_world(engine, cipher)
    plan_id = world.ids["p_share"]
    manager = who(engine, "mgr")
    first_locked = threading.Event()
    outcome: list[object] = []

    def second() -> None:
        first_locked.wait(10)
        try:
            with transaction(engine) as session:
                outcome.append(
                    decide_plan(session, manager, plan_id, decision="approve", comment="", at=AT)
                )
        except LeadRefusedError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    with transaction(engine) as session:
        made = decide_plan(session, manager, plan_id, decision="approve", comment="", at=AT)
        first_locked.set()
        worker.join(0.5)  # the second approver is now waiting on the row lock
        assert worker.is_alive()
    worker.join(10)
    assert made.decision == "approved"
    assert len(outcome) == 1
    assert isinstance(outcome[0], LeadRefusedError)
    assert outcome[0].code is Refusal.DECIDED
