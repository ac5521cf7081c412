"""The web tests' small world (``tests/web/conftest.py``) plus what a team lead looks after.

Added on top: a second in-house team ``IN-2`` (lead ``lead2``, agent ``b1``, case ``c5``), an
agency team lead ``xlead`` and agent ``x2`` in agency X, today's call tasks, promises kept and
broken this week, today's contact attempts (executed, blocked, deferred; some only by an
overridable presumption), and proposed plans of every kind around the limits:

======== ====== ========== ======================================= ===============================
plan     case   kind       terms                                   who may approve
======== ====== ========== ======================================= ===============================
p_inst   c1     instalment 6 months (the base world's, by ``a1``)  team lead
p_small  c3     waiver     fee 10.00 + penalty 67.89               team lead
p_share  c1b    waiver     3,000 yuan ≈ 29 % of the balance        manager (share above 20 %)
p_long   c3     instalment 36 months                               manager (months above 24)
p_huge   c3     instalment 72 months                               nobody (above every limit)
p_own    c1b    waiver     by ``lead`` himself                     not ``lead`` (maker–checker)
p_other  c5     waiver     team IN-2                               not ``lead`` (out of scope)
======== ====== ========== ======================================= ===============================
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.web.conftest import (
    FAST_HASHER,
    PASSWORD,
    TODAY,
    FakeClock,
    World,
    _account,
    build_world,
    clock,
    make_app,
    sqlite_engine,
)
from tests.web.live import live_server

from huikuan.accounts.models import Account, Debtor
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Placement, Plan, Promise
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.org.models import Agency, Creditor, Product, Team, User
from huikuan.security.crypto import FieldCipher

__all__ = ["clock", "sqlite_engine"]  # fixtures shared with tests/web

SEVEN_IN_SEVEN = {
    "rule_id": "US-REGF-1006.14(b)(2)(i)",
    "pack": "US-RegF",
    "pack_version": "1",
    "message": "more than 7 calls in 7 days (presumed harassment)",
    "message_zh": "7 日内超过 7 次通话（推定骚扰）",
    "override_eligible": True,
}
QUIET_HOURS = {
    "rule_id": "CN-QUIET-HOURS",
    "message": "quiet hours in the debtor's local time",
    "message_zh": "债务人当地时间处于禁止催收时段",
    "override_eligible": False,
}
# Business date 2026-11-20 (a Friday) runs from 2026-11-19 16:00 to 2026-11-20 16:00 UTC.
TODAY_0930 = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
TODAY_0830 = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)


def build_lead_world(engine: Engine, cipher: FieldCipher) -> World:
    world = build_world(engine, cipher)
    ids = world.ids
    with transaction(engine) as s:
        bank = s.scalars(select(Creditor).where(Creditor.code == "BANKA")).one()
        product = s.scalars(select(Product).where(Product.creditor_id == bank.id)).one()
        agency = s.scalars(select(Agency).where(Agency.code == "X")).one()
        x_team = s.scalars(select(Team).where(Team.code == "X-1")).one()
        in_two = Team(code="IN-2", name="内催二组")
        s.add(in_two)
        s.flush()
        secret = FAST_HASHER.hash(PASSWORD)
        extra = {
            "lead2": {"role": "team_lead", "team_id": in_two.id},
            "b1": {"role": "agent", "team_id": in_two.id},
            "xlead": {"role": "team_lead", "team_id": x_team.id, "agency_id": agency.id},
            "x2": {"role": "agent", "team_id": x_team.id, "agency_id": agency.id},
        }
        for name, spec in extra.items():
            user = User(username=name, display_name=f"用户 {name}", password_hash=secret, **spec)
            s.add(user)
            s.flush()
            ids[name] = user.id
        # a2 can hold two cases: it holds c3, so one more fits and two do not.
        s.get_one(User, ids["a2"]).capacity_count = 2
        placement = s.scalars(select(Placement).where(Placement.batch_no == "pa")).one()
        debtor = Debtor(
            creditor_id=bank.id,
            debtor_no="D-c5",
            name_enc=cipher.encrypt("孙小明", context="debtor.name"),
            name_masked="孙**",
            region="上海",
            language="zh",
        )
        s.add(debtor)
        s.flush()
        c5 = Case(
            case_no="CASE-c5",
            creditor_id=bank.id,
            placement_id=placement.id,
            debtor_id=debtor.id,
            state="active",
            agent_id=ids["b1"],
            team_id=in_two.id,
            opened_on=date(2026, 11, 1),
        )
        s.add(c5)
        s.flush()
        ids["c5"] = c5.id
        s.add(_account("ACC-c5-1", bank, product, debtor, c5, 45))
        s.flush()
        ids["p_inst"] = s.scalars(select(Plan.id).where(Plan.case_id == ids["c1"])).one()
        plans = {
            "p_small": ("c3", "waiver", {"waived": {"fee": 1_000, "penalty": 6_789}}, "a2"),
            "p_share": (
                "c1b",
                "waiver",
                {"waived": {"interest": 12_345, "principal": 287_655}},
                "a1",
            ),
            "p_long": ("c3", "instalment", {"months": 36, "amount": 1_027_134}, "a2"),
            "p_huge": ("c3", "instalment", {"months": 72, "amount": 1_027_134}, "a2"),
            "p_own": ("c1b", "waiver", {"waived_total": 1_000}, "lead"),
            "p_other": ("c5", "waiver", {"waived": 1_000}, "b1"),
        }
        for name, (case, kind, terms, maker) in plans.items():
            plan = Plan(
                case_id=ids[case],
                kind=kind,
                terms=terms,
                status="proposed",
                created_on=date(2026, 11, 19),
                proposed_by=maker,
            )
            s.add(plan)
            s.flush()
            ids[name] = plan.id
        for number, (agent, case, status) in enumerate(
            [
                ("a1", "c1", "open"),
                ("a1", "c1b", "open"),
                ("a1", "c1", "done"),
                ("a2", "c3", "done"),
            ]
        ):
            s.add(
                CallTask(
                    task_key=f"lead-test-{number}",
                    case_id=ids[case],
                    agent_id=ids[agent],
                    due_on=TODAY,
                    not_before=TODAY_0830,
                    priority=10,
                    reason="test",
                    status=status,
                )
            )
        c1_account = s.scalars(select(Account).where(Account.account_no == "ACC-c1-1")).one()
        for promised_on, status in ((date(2026, 11, 16), "kept"), (date(2026, 11, 17), "broken")):
            s.add(
                Promise(
                    case_id=ids["c1"],
                    account_id=c1_account.id,
                    amount=10_000,
                    promised_on=promised_on,
                    created_on=date(2026, 11, 10),
                    agent_id=ids["a1"],
                    status=status,
                )
            )
        attempts = {
            # name: (case, actor, at, executed, decision, reasons)
            "t_done": ("c1", "a1", TODAY_0930, True, "allowed", []),
            "t_7in7": ("c1b", "a1", TODAY_0830, False, "blocked", [SEVEN_IN_SEVEN]),
            "t_a2": ("c3", "a2", TODAY_0830, False, "deferred", [SEVEN_IN_SEVEN]),
            "t_hard": ("c3", "a2", TODAY_0930, False, "blocked", [SEVEN_IN_SEVEN, QUIET_HOURS]),
            "t_own": ("c3", "lead", TODAY_0930, False, "blocked", [SEVEN_IN_SEVEN]),
            "t_other": ("c5", "b1", TODAY_0930, False, "blocked", [SEVEN_IN_SEVEN]),
        }
        for name, (case, actor, at, executed, decision, reasons) in attempts.items():
            debtor_id = s.scalars(select(Case.debtor_id).where(Case.id == ids[case])).one()
            attempt = ContactAttempt(
                case_id=ids[case],
                debtor_id=debtor_id,
                at=at,
                channel="phone",
                party="consumer",
                executed=executed,
                decision=decision,
                reasons=reasons,
                actor=actor,
            )
            s.add(attempt)
            s.flush()
            ids[name] = attempt.id
    return world


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:
    return build_lead_world(sqlite_engine, cipher)


@pytest.fixture
def app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return make_app(world, cipher, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 (the pattern of tests/web/test_browser.py)."""
    with live_server(app) as url:
        yield url
