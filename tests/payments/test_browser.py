"""A debtor pays in real Chromium: the Alipay redirect opens the (fake) cashier, one click on
"确认付款 / Pay", and the notify the gateway sends posts the payment in our app (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from huikuan.db.engine import make_engine, transaction
from huikuan.payments.config import PayConfig
from huikuan.payments.models import Payment
from huikuan.payments.service import create_order
from huikuan.security.crypto import FieldCipher
from tests.payments.conftest import NOW, Paying, build_pay_world, open_paying
from tests.web.conftest import FakeClock

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


@pytest.fixture
def browser_paying(
    tmp_path: Path, cipher: FieldCipher, clock: FakeClock, base_config: PayConfig
) -> Iterator[Paying]:
    engine = make_engine(f"sqlite:///{tmp_path / 'pay.db'}")
    try:
        yield from open_paying(build_pay_world(engine), cipher, clock, base_config)
    finally:
        engine.dispose()


def test_a_debtor_pays_at_the_alipay_cashier_by_clicking(browser_paying: Paying) -> None:
    world = browser_paying.world
    with transaction(world.engine) as s:
        started = create_order(
            s,
            case_id=world.ids["CASE-P1"],
            amount=2_000,
            provider="alipay",
            now=NOW,
            account_id=world.ids["old"],
            config=browser_paying.config,
        )
    assert started.redirect_url is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN")
        page.goto(started.redirect_url)
        expect(page.get_by_test_id("order-no")).to_have_text(started.order_no)
        expect(page.get_by_test_id("amount")).to_have_text("¥20.00")
        page.get_by_role("button", name="确认付款 / Pay").click()
        expect(page.get_by_role("heading", name="付款成功 / Paid")).to_be_visible()
        browser.close()
    with transaction(world.engine) as s:
        [payment] = s.scalars(select(Payment)).all()
    assert (payment.amount, payment.source) == (2_000, "portal_alipay")
    assert [d.body for d in browser_paying.fakes.alipay.deliveries] == ["success"]
