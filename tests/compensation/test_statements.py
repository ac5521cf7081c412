"""Commission statements, agency fees and remittances from stored rows, on SQLite and PostgreSQL.

The seed examples (DOMAIN.md "Agent commissions (提成), straight from the seeds"; seeds/001):
- "Fixed rate: 5% of the amount recovered; recovering 100,000 yuan earns 5,000."
- "Tiered (阶梯): 4% up to 100,000; 5% from 100,001 to 200,000; 6% from 200,001. Both readings
  exist in practice (the rate of the reached tier on the whole amount, or each slice at its own
  rate), so the scheme says which."
- "Milestone: 1,000 yuan for the first 100,000 recovered, rising with each further 100,000."
- "Extras: bonuses, quality multipliers, clawback when a plan that paid a commission breaks."
- "Agency fees (委外佣金) are a separate scheme: a % of recovered amount by 账龄 band."
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from huikuan.audit.models import AuditLog
from huikuan.compensation.models import CompensationStatement
from huikuan.compensation.schemes import NoSchemeError, install_default_schemes
from huikuan.compensation.service import (
    AgentStatement,
    SubjectKind,
    agency_fees,
    agent_statements,
    parse_period,
    remittance_statements,
    store_statements,
)
from huikuan.core.commissions import (
    SEED_AGENCY_FEE_SCHEME,
    SEED_FIXED,
    SEED_MILESTONE,
    SEED_QUALITY_BANDS,
    SEED_TIERED_SLICES,
    SEED_TIERED_WHOLE,
)
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.demo.service import load_demo
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher
from tests.compensation.world import World, yuan

NOV = "2026-11"
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    upgrade(engine)
    with transaction(engine) as session:
        yield session


def by_agent(statements: list[AgentStatement]) -> dict[str, AgentStatement]:
    return {s.username: s for s in statements}


def assert_traceable(statement: AgentStatement) -> None:
    """Every figure adds up from its lines."""
    lines = statement.lines()
    payments = [line for line in lines if line["kind"] == "payment"]
    others = [line for line in lines if line["kind"] != "payment"]
    assert statement.collected == sum(int(str(p["amount"])) for p in payments)
    assert statement.net == sum(int(str(line["amount"])) for line in others)
    earned = statement.commission + statement.quality_adjustment
    assert sum(int(str(p["commission_share"])) for p in payments) == earned


# --- the seed examples --------------------------------------------------------------------------


def test_fixed_5_percent_recovering_100000_earns_5000(session: Session) -> None:
    world = World(session)
    world.commission_scheme(SEED_FIXED)
    agent = world.agent("wang")
    _, account = world.case(agent)
    world.pay(account, date(2026, 11, 3), "60,000")
    world.pay(account, date(2026, 11, 25), "40,000")

    (statement,) = agent_statements(session, NOV)
    assert statement.collected == yuan("100,000")
    assert statement.net == yuan("5,000")
    assert statement.qa_score is None  # no QA review in the month: 1x, and it says so
    assert_traceable(statement)


@pytest.mark.parametrize(
    ("recovered", "whole_amount", "slices"),
    [
        # 150,000: whole = 5% x 150,000 = 7,500; slices = 4% x 100,000 + 5% x 50,000 = 6,500.
        ("150,000", "7,500", "6,500"),
        # 250,000: whole = 6% x 250,000 = 15,000; slices = 4,000 + 5,000 + 6% x 50,000 = 12,000.
        ("250,000", "15,000", "12,000"),
    ],
)
def test_tiered_4_5_6_in_both_readings_by_team(
    session: Session, recovered: str, whole_amount: str, slices: str
) -> None:
    world = World(session)
    world.commission_scheme(SEED_TIERED_SLICES)  # the default
    world.commission_scheme(SEED_TIERED_WHOLE, team=world.in_house)
    whole_agent = world.agent("whole")
    slice_agent = world.agent("slices", world.outsourced)
    for agent in (whole_agent, slice_agent):
        _, account = world.case(agent)
        world.pay(account, date(2026, 11, 10), recovered)

    statements = by_agent(agent_statements(session, NOV))
    assert statements["whole"].net == yuan(whole_amount)
    assert statements["slices"].net == yuan(slices)
    assert statements["whole"].to_json()["schemes"] == ["tiered-4-5-6-whole@v1"]
    for statement in statements.values():
        assert_traceable(statement)


def test_milestone_1000_for_the_first_100000_and_each_further_100000(session: Session) -> None:
    world = World(session)
    world.commission_scheme(SEED_MILESTONE)
    agent = world.agent("li")
    _, account = world.case(agent)
    world.pay(account, date(2026, 11, 2), "199,999.99")
    assert agent_statements(session, NOV)[0].net == yuan("1,000")
    world.pay(account, date(2026, 11, 30), "0.01")  # 200,000 reached on the month's last day
    assert agent_statements(session, NOV)[0].net == yuan("2,000")
    world.pay(account, date(2026, 12, 1), "100,000")  # December's, not November's
    assert agent_statements(session, NOV)[0].net == yuan("2,000")


# --- quality multiplier -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "multiplier", "net"),
    [
        ([95, 88], "1.1", "5,500"),  # mean 91.5 -> 92 (half up): 90+ is 1.1x
        ([70, 75], "0.9", "4,500"),  # 72.5 -> 73: 60-79 is 0.9x
        ([40], "0.5", "2,500"),  # below 60: 0.5x
    ],
)
def test_quality_multiplier_from_the_months_qa_scores(
    session: Session, scores: list[int], multiplier: str, net: str
) -> None:
    world = World(session)
    world.commission_scheme(replace(SEED_FIXED, quality_bands=SEED_QUALITY_BANDS))
    agent = world.agent("zhao")
    case, account = world.case(agent)
    world.pay(account, date(2026, 11, 5), "100,000")
    for day, score in enumerate(scores, start=1):
        world.qa_review(agent, case, date(2026, 11, day), score)
    world.qa_review(agent, case, date(2026, 10, 31), 0)  # October's review does not count

    (statement,) = agent_statements(session, NOV)
    assert statement.to_json()["quality_multiplier"] == multiplier
    assert statement.commission == yuan("5,000")
    assert statement.net == yuan(net)
    assert_traceable(statement)


# --- clawback -----------------------------------------------------------------------------------


def clawback_world(session: Session) -> tuple[World, int]:
    """October: 100,000 paid under a plan (5,000 commission). November: 20,000 more on the plan,
    the plan breaks on 11-10, then 40,000 off-plan."""
    world = World(session)
    world.commission_scheme(SEED_FIXED)
    agent = world.agent("sun")
    case, account = world.case(agent)
    plan = world.plan(case, account, date(2026, 10, 1))
    world.pay(account, date(2026, 10, 15), "100,000")
    world.pay(account, date(2026, 11, 5), "20,000")
    world.break_plan(plan, case, date(2026, 11, 10))
    world.pay(account, date(2026, 11, 12), "40,000")
    return world, plan.id


def test_a_plan_that_paid_commission_and_breaks_is_clawed_back(session: Session) -> None:
    _, plan_id = clawback_world(session)
    (october,) = agent_statements(session, "2026-10")
    assert october.net == yuan("5,000")
    assert [p.receipt.plan_id for p in october.payments] == [plan_id]
    store_statements(session, "2026-10", SubjectKind.AGENT, actor="manager", at=AT, issue=True)

    (november,) = agent_statements(session, NOV)
    assert november.collected == yuan("60,000")
    assert november.base == yuan("40,000")  # the 20,000 on the broken plan earns nothing
    assert november.commission == yuan("2,000")
    assert november.clawback == yuan("5,000")
    assert november.net == yuan("-3,000")
    clawback = next(line for line in november.lines() if line["kind"] == "clawback")
    assert clawback["reference"] == str(plan_id)
    assert_traceable(november)


def test_a_draft_never_paid_so_nothing_is_clawed_back(session: Session) -> None:
    clawback_world(session)
    store_statements(session, "2026-10", SubjectKind.AGENT, actor="manager", at=AT, issue=False)
    (november,) = agent_statements(session, NOV)
    assert november.clawback == 0
    assert november.net == yuan("2,000")


def test_issuing_is_idempotent_and_audited(session: Session) -> None:
    clawback_world(session)
    first = store_statements(session, NOV, SubjectKind.AGENT, actor="manager", at=AT, issue=True)
    again = store_statements(session, NOV, SubjectKind.AGENT, actor="manager", at=AT, issue=True)
    assert len(first.issued) == 1
    assert first.already_issued == ()
    assert again.issued == ()
    assert again.already_issued == first.issued
    rows = session.scalars(select(CompensationStatement)).all()
    assert [(r.period, r.status, r.amount, r.issued_by) for r in rows] == [
        (NOV, "issued", yuan("2,000"), "manager")  # October was never issued: no clawback
    ]
    audited = session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "compensation.statement_issued")
    )
    assert audited == 1


# --- attribution --------------------------------------------------------------------------------


def test_the_agent_holding_the_case_on_the_payment_day_gets_the_credit(session: Session) -> None:
    world = World(session)
    world.commission_scheme(SEED_FIXED)
    first, second = world.agent("first"), world.agent("second")
    case, account = world.case(first)
    world.pay(account, date(2026, 11, 10), "10,000")
    world.reassign(case, second, date(2026, 11, 15))
    world.pay(account, date(2026, 11, 15), "20,000")  # the day of the move: the new holder's
    world.pay(account, date(2026, 11, 20), "30,000")

    statements = by_agent(agent_statements(session, NOV))
    assert statements["first"].collected == yuan("10,000")
    assert statements["second"].collected == yuan("50,000")
    assert statements["second"].net == yuan("2,500")


def test_no_scheme_in_force_is_refused_with_a_reason(session: Session) -> None:
    world = World(session)
    world.commission_scheme(SEED_FIXED, effective_from=date(2026, 12, 1))
    _, account = world.case(world.agent("early"))
    world.pay(account, date(2026, 11, 10), "10,000")
    with pytest.raises(NoSchemeError, match="install-defaults"):
        agent_statements(session, NOV)


def test_periods_are_months() -> None:
    assert parse_period("2026-02").last == date(2026, 2, 28)
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_period(bad)


# --- agency fees and remittance -----------------------------------------------------------------


def test_agency_fees_by_bucket_at_payment_time_and_the_remittance(session: Session) -> None:
    world = World(session)
    world.commission_scheme(SEED_FIXED)
    world.fee_schedule(SEED_AGENCY_FEE_SCHEME)  # M1 8%, M2 12%, M3 15%, M4-M6 20%, M7+ 30%
    outside = world.agent("agency-agent", world.outsourced)
    inside = world.agent("in-house-agent")
    # Was M2 when the money came in; the close of that day cured it, so it is M0 now.
    _, cured = world.case(outside, bucket="M0")
    world.bucket_move(cured, date(2026, 10, 20), "M1", "M2")
    world.bucket_move(cured, date(2026, 11, 6), "M2", "M0")
    world.pay(cured, date(2026, 11, 6), "10,000")
    _, old = world.case(outside, bucket="M7+")
    world.pay(old, date(2026, 11, 7), "2,500")
    world.pay(old, date(2026, 11, 8), "2,500")
    _, own = world.case(inside, bucket="M3")
    world.pay(own, date(2026, 11, 9), "3,000")

    (fees,) = agency_fees(session, NOV)
    (part,) = fees.by_creditor
    ((line_m2, line_m7),) = [section.lines for section in part.sections]
    assert (line_m2.bucket, line_m2.recovered, line_m2.fee) == ("M2", yuan("10,000"), yuan("1,200"))
    assert (line_m7.bucket, line_m7.recovered, line_m7.fee) == ("M7+", yuan("5,000"), yuan("1,500"))
    assert fees.fee == yuan("2,700")
    assert sum(item.fee_share for item in part.receipts) == fees.fee

    (remit,) = remittance_statements(session, NOV)
    assert remit.recovered == yuan("18,000")
    assert remit.in_house_recovered == yuan("3,000")
    assert remit.agency_fees == yuan("2,700")
    assert remit.net == yuan("15,300")  # recovered - fees
    assert remit.to_json()["lines"] == [
        {"kind": "in_house", "agency": None, "recovered": yuan("3,000"), "fee": 0},
        {"kind": "agency", "agency": "AG1", "recovered": yuan("15,000"), "fee": yuan("2,700")},
    ]


# --- the demo portfolio -------------------------------------------------------------------------


def test_statements_over_the_demo_portfolio_add_up(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine, accounts=300, as_of=date(2026, 11, 20), days=5, cipher=cipher, work_dir=tmp_path
    )
    with transaction(engine) as session:
        # The demo installed the default schemes; installing them again adds nothing.
        assert install_default_schemes(session) == 0
        received = session.scalar(
            select(func.sum(Payment.amount)).where(
                Payment.received_on >= date(2026, 11, 1), Payment.received_on <= date(2026, 11, 30)
            )
        )
        statements = agent_statements(session, NOV)
        fees = agency_fees(session, NOV)
        remits = remittance_statements(session, NOV)
        report = store_statements(
            session, NOV, SubjectKind.CREDITOR, actor="manager", at=AT, issue=True
        )

    assert received
    assert received > 0
    assert statements
    assert all(s.collected > 0 for s in statements)
    for statement in statements:
        assert_traceable(statement)
        assert statement.net > 0  # no plan broke in the demo's days
    assert sum(s.collected for s in statements) <= received
    assert sum(r.recovered for r in remits) == received
    assert sum(r.agency_fees for r in remits) == sum(f.fee for f in fees) > 0
    for remit in remits:
        assert remit.net == remit.recovered - remit.agency_fees
        assert remit.in_house_recovered + remit.agency_recovered == remit.recovered
    assert len(report.issued) == len(remits)
