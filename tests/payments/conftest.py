"""A one-debtor world for the payment tests, the app under uvicorn and the provider fakes.

The world (on SQLite and on a throwaway PostgreSQL, through the ``engine`` fixture): creditor
BANKA with product CARD (a real policy, waterfall fee → penalty → interest → principal) and
case ``CASE-P1`` holding two open accounts, ``ACC-OLD`` (first due 2026-06-01) and
``ACC-NEW`` (first due 2026-09-01), accrued through 2026-11-19 (the last closed day); a second
creditor's case ``CASE-Q1``. The clock stands at 2026-11-20 10:00 in Shanghai for the app and
the fakes alike. ``paying`` starts the app on 127.0.0.1 and both fakes pointed at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from huikuan.accounts.models import Account, Debtor
from huikuan.cases.models import Case, Placement
from huikuan.core.policy import ProductPolicy, policy_to_dict
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.org.models import Creditor, Product
from huikuan.payments.config import PayConfig, load_keys
from huikuan.payments.provider_fakes import RunningFakes, start_fakes
from huikuan.security.crypto import FieldCipher
from huikuan.web.app import create_app
from huikuan.web.areas.payhooks import pay_config
from tests.web.conftest import FAST_HASHER, SECRET, FakeClock
from tests.web.live import live_server

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 20)
LAST_CLOSED = date(2026, 11, 19)
POLICY = ProductPolicy(code="CARD-P", penalty_rate_ppm=180_000, waterfall_code="FPIP-OLDEST")
# principal, interest, penalty, fee
OLD = (100_000, 2_000, 1_000, 500)
NEW = (50_000, 700, 300, 200)


@dataclass
class PayWorld:
    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)


def _account(
    no: str, case: Case, product: Product, first_due: date, parts: tuple[int, int, int, int]
) -> Account:
    principal, interest, penalty, fee = parts
    return Account(
        account_no=no,
        creditor_id=case.creditor_id,
        product_id=product.id,
        product_code=POLICY.code,
        debtor_id=case.debtor_id,
        placement_id=case.placement_id,
        case_id=case.id,
        status="open",
        principal=principal,
        interest=interest,
        penalty=penalty,
        fee=fee,
        credit=0,
        first_due=first_due,
        instalment=10_000,
        cycles=12,
        paid_to_schedule=0,
        accrued_through=LAST_CLOSED,
        charge_start=first_due,
        cap_base=principal,
        charged_total=interest + penalty + fee,
        dpd=(LAST_CLOSED - first_due).days,
        bucket="M3",
        placed_on=date(2026, 11, 1),
    )


def build_pay_world(engine: Engine) -> PayWorld:
    upgrade(engine)
    world = PayWorld(engine)
    with transaction(engine) as s:
        for code, case_no in (("BANKA", "CASE-P1"), ("LENDB", "CASE-Q1")):
            creditor = Creditor(code=code, name=f"{code} 银行")
            s.add(creditor)
            s.flush()
            product = Product(
                creditor_id=creditor.id,
                code="CARD",
                name="信用卡",
                policy_code=POLICY.code,
                policy_version=POLICY.version,
                policy=policy_to_dict(POLICY),
            )
            placement = Placement(
                creditor_id=creditor.id,
                batch_no=f"B-{code}",
                placed_on=date(2026, 11, 1),
                period_days=90,
                ends_on=date(2027, 1, 30),
            )
            s.add_all([product, placement])
            s.flush()
            debtor = Debtor(creditor_id=creditor.id, debtor_no=f"D-{code}", name_masked="王**")
            s.add(debtor)
            s.flush()
            case = Case(
                case_no=case_no,
                creditor_id=creditor.id,
                placement_id=placement.id,
                debtor_id=debtor.id,
                state="active",
                opened_on=date(2026, 11, 1),
            )
            s.add(case)
            s.flush()
            world.ids[case_no] = case.id
            if code == "BANKA":
                old = _account("ACC-OLD", case, product, date(2026, 6, 1), OLD)
                new = _account("ACC-NEW", case, product, date(2026, 9, 1), NEW)
                s.add_all([new, old])  # inserted newest first: the order must come from the due
                s.flush()
                world.ids |= {"old": old.id, "new": new.id}
            else:
                other = _account("ACC-Q", case, product, date(2026, 6, 1), OLD)
                s.add(other)
                s.flush()
                world.ids["other"] = other.id
    return world


@pytest.fixture
def pay_world(engine: Engine) -> PayWorld:
    return build_pay_world(engine)


@pytest.fixture(scope="session")
def base_config(tmp_path_factory: pytest.TempPathFactory) -> PayConfig:
    """Merchant keys made once per session (RSA key generation is the slow part)."""
    config = PayConfig(
        _env_file=None,  # type: ignore[call-arg]
        dev_key_dir=tmp_path_factory.mktemp("pay-keys"),
        bank_payees={"BANKA": ["户名：A 银行股份有限公司", "账号：6222 0000 0000 0000"]},
    )
    load_keys(config)
    return config


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@dataclass
class Paying:
    """The app on a real socket and both fakes, all on one fake clock."""

    url: str
    fakes: RunningFakes
    config: PayConfig
    world: PayWorld


def open_paying(
    world: PayWorld,
    cipher: FieldCipher,
    clock: FakeClock,
    config: PayConfig,
    *,
    notify_times: int = 1,
    return_url: str | None = None,
) -> Iterator[Paying]:
    app = create_app(
        world.engine, cipher, secret_key=SECRET, password_hasher=FAST_HASHER, clock=clock
    )
    with live_server(app) as url:
        ours = config.model_copy(update={"notify_base_url": url, "return_url": return_url})
        fakes = start_fakes(ours, notify_times=notify_times, clock=clock)
        app.dependency_overrides[pay_config] = lambda: fakes.config
        try:
            yield Paying(url, fakes, fakes.config, world)
        finally:
            fakes.stop()


@pytest.fixture
def paying(
    pay_world: PayWorld, cipher: FieldCipher, clock: FakeClock, base_config: PayConfig
) -> Iterator[Paying]:
    """The providers deliver each notify twice (as they do when an answer is slow)."""
    yield from open_paying(pay_world, cipher, clock, base_config, notify_times=2)


@pytest.fixture
def silent(
    pay_world: PayWorld, cipher: FieldCipher, clock: FakeClock, base_config: PayConfig
) -> Iterator[Paying]:
    """The providers never deliver a notify: only the query API tells."""
    yield from open_paying(pay_world, cipher, clock, base_config, notify_times=0)
