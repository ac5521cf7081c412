"""A tiny portfolio and the web app over it, for the web tests.

Two creditors (BANKA, LENDB), agency X; in-house agents ``a1`` and ``a2``, a team lead, QA,
legal, a manager, an agency agent ``x1`` and a client of BANKA. ``a1`` holds two cases: ``c1``
(smaller DPD but a promise due today, payments and contact attempts) and ``c1b`` (worse DPD,
and a debtor whose masked name is an XSS attempt). The clock is a settable fake in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.cases.models import Case, Placement, Plan, Promise
from huikuan.cases.worklist import refresh_worklist
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import upgrade
from huikuan.org.models import Agency, Creditor, Product, Team, User
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher
from huikuan.web.app import create_app

SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
# Cheap parameters: the tests exercise the flow, not argon2's cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, business date 11-20
TODAY = date(2026, 11, 20)
XSS_NAME = "<script>alert(1)</script>"


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)


def _account(
    no: str, creditor: Creditor, product: Product, debtor: Debtor, case: Case, dpd: int
) -> Account:
    return Account(
        account_no=no,
        creditor_id=creditor.id,
        product_id=product.id,
        product_code=product.code,
        debtor_id=debtor.id,
        placement_id=case.placement_id,
        case_id=case.id,
        status="open",
        principal=1_000_000 + dpd * 100,
        interest=12_345,
        penalty=6_789,
        fee=1_000,
        credit=5_000_000,
        first_due=date(2026, 6, 1),
        instalment=100_000,
        cycles=12,
        paid_to_schedule=0,
        accrued_through=TODAY,
        charge_start=date(2026, 6, 1),
        cap_base=1_000_000,
        charged_total=0,
        dpd=dpd,
        bucket="M2" if dpd <= 60 else "M4",
        placed_on=date(2026, 11, 1),
    )


def build_world(engine: Engine, cipher: FieldCipher) -> World:
    upgrade(engine)
    world = World(engine)
    ids = world.ids
    secret_hash = FAST_HASHER.hash(PASSWORD)
    with transaction(engine) as s:
        bank, lender = Creditor(code="BANKA", name="A 银行"), Creditor(code="LENDB", name="B 消金")
        agency = Agency(code="X", name="X 催收")
        s.add_all([bank, lender, agency])
        s.flush()
        products = {
            c.code: Product(
                creditor_id=c.id,
                code="CARD",
                name="信用卡",
                policy_code="P",
                policy_version=1,
                policy={},
            )
            for c in (bank, lender)
        }
        in_team = Team(code="IN-1", name="内催一组")
        x_team = Team(code="X-1", name="委外一组", agency_id=agency.id)
        s.add_all([*products.values(), in_team, x_team])
        s.flush()
        specs: dict[str, dict[str, object]] = {
            "a1": {"role": "agent", "team_id": in_team.id},
            "a2": {"role": "agent", "team_id": in_team.id},
            "lead": {"role": "team_lead", "team_id": in_team.id},
            "qa": {"role": "qa"},
            "legal": {"role": "legal"},
            "mgr": {"role": "manager"},
            "x1": {"role": "agent", "team_id": x_team.id, "agency_id": agency.id},
            "cli_a": {"role": "creditor_client", "creditor_id": bank.id},
        }
        users = {
            name: User(
                username=name, display_name=f"用户 {name}", password_hash=secret_hash, **spec
            )
            for name, spec in specs.items()
        }
        s.add_all(users.values())
        s.flush()
        ids |= {name: u.id for name, u in users.items()}
        placements = {}
        for key, creditor, agency_id in (("pa", bank, None), ("pax", bank, agency.id)):
            placement = Placement(
                creditor_id=creditor.id,
                agency_id=agency_id,
                batch_no=key,
                placed_on=date(2026, 11, 1),
                period_days=90,
                ends_on=date(2027, 1, 30),
            )
            s.add(placement)
            s.flush()
            placements[key] = placement
        pb = Placement(
            creditor_id=lender.id,
            batch_no="pb",
            placed_on=date(2026, 11, 1),
            period_days=90,
            ends_on=date(2027, 1, 30),
        )
        s.add(pb)
        s.flush()
        placements["pb"] = pb
        cases = {
            # name: (placement, creditor, agent, team, dpd, masked name)
            "c1": ("pa", bank, "a1", in_team, 40, "王**"),
            "c1b": ("pa", bank, "a1", in_team, 95, XSS_NAME),
            "c3": ("pa", bank, "a2", in_team, 70, "李**"),
            "c2": ("pax", bank, "x1", x_team, 50, "赵**"),
            "c4": ("pb", lender, None, None, 120, "钱**"),
        }
        for name, (placement_key, creditor, agent, team, dpd, masked) in cases.items():
            debtor = Debtor(
                creditor_id=creditor.id,
                debtor_no=f"D-{name}",
                name_enc=cipher.encrypt("王小明", context="debtor.name"),
                name_masked=masked,
                id_number_enc=cipher.encrypt("11010519491231002X", context="debtor.id_number"),
                id_number_hash=cipher.search_hash("11010519491231002X", kind="id_number"),
                id_number_masked="110105********002X",
                region="北京",
                language="zh",
            )
            s.add(debtor)
            s.flush()
            mobile = ContactPoint(
                debtor_id=debtor.id,
                kind="mobile",
                owner_type="self",
                value_enc=cipher.encrypt("13812345678", context="contact.value"),
                value_hash=cipher.search_hash("13812345678", kind="phone"),
                value_masked="138****5678",
                data_source="contract",
                created_on=date(2026, 11, 1),
            )
            emergency = ContactPoint(
                debtor_id=debtor.id,
                kind="mobile",
                owner_type="emergency",
                relationship="sibling",
                value_enc=cipher.encrypt("13900001111", context="contact.value"),
                value_hash=cipher.search_hash("13900001111", kind="phone"),
                value_masked="139****1111",
                data_source="contract",
                created_on=date(2026, 11, 1),
            )
            case = Case(
                case_no=f"CASE-{name}",
                creditor_id=creditor.id,
                placement_id=placements[placement_key].id,
                debtor_id=debtor.id,
                agency_id=placements[placement_key].agency_id,
                state="active",
                agent_id=ids[agent] if agent else None,
                team_id=team.id if team else None,
                opened_on=date(2026, 11, 1),
            )
            s.add_all([mobile, emergency, case])
            s.flush()
            product = products[creditor.code]
            s.add(_account(f"ACC-{name}-1", creditor, product, debtor, case, dpd))
            ids[name] = case.id
            ids[f"{name}_mobile"] = mobile.id
            ids[f"{name}_emergency"] = emergency.id
            ids[f"{name}_debtor"] = debtor.id
        s.flush()
        c1_account = s.query(Account).filter_by(account_no="ACC-c1-1").one()
        s.add_all(
            [
                Payment(
                    account_id=c1_account.id,
                    received_on=date(2026, 11, 15),
                    amount=50_000,
                    channel="alipay",
                    reference="PAY-1",
                ),
                Promise(
                    case_id=ids["c1"],
                    account_id=c1_account.id,
                    amount=88_800,
                    promised_on=TODAY,
                    created_on=date(2026, 11, 18),
                    agent_id=ids["a1"],
                ),
                Plan(
                    case_id=ids["c1"],
                    account_id=c1_account.id,
                    kind="instalment",
                    terms={"months": 6},
                    status="proposed",
                    created_on=date(2026, 11, 18),
                    proposed_by="a1",
                ),
                ContactAttempt(
                    case_id=ids["c1"],
                    debtor_id=ids["c1_debtor"],
                    contact_point_id=ids["c1_mobile"],
                    at=datetime(2026, 11, 19, 2, 0, tzinfo=UTC),
                    channel="phone",
                    party="consumer",
                    outcome="promise",
                    executed=True,
                    decision="allowed",
                    reasons=[],
                    actor="a1",
                ),
                ContactAttempt(
                    case_id=ids["c1"],
                    debtor_id=ids["c1_debtor"],
                    contact_point_id=ids["c1_mobile"],
                    at=datetime(2026, 11, 19, 15, 0, tzinfo=UTC),
                    channel="phone",
                    party="consumer",
                    executed=False,
                    decision="deferred",
                    next_allowed_at=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
                    reasons=[
                        {
                            "rule_id": "CN-QUIET-HOURS",
                            "message": "quiet hours in the debtor's local time",
                            "message_zh": "债务人当地时间处于禁止催收时段",
                        }
                    ],
                    actor="a1",
                ),
            ]
        )
        # The work list as the daily cycle leaves it (the queue reads its order).
        refresh_worklist(s, TODAY)
    return world


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    yield made
    made.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:
    return build_world(sqlite_engine, cipher)


def make_app(world: World, cipher: FieldCipher, clock: FakeClock, **kwargs: object) -> FastAPI:
    return create_app(
        world.engine,
        cipher,
        secret_key=SECRET,
        password_hasher=FAST_HASHER,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return make_app(world, cipher, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_HEADER.search(html) or CSRF_FIELD.search(html)
    assert found, "page carries no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the new session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/home").text)
