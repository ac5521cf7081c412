"""In real Chromium on a phone: a debtor disputes today, and the text the strategy had planned
for them tomorrow is not sent — the run-day blocks it with the hold rule, while the day goes
ahead for everyone else. The demo portfolio (600 accounts) on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint
from huikuan.cases.models import Case
from huikuan.cycle.service import run_day
from huikuan.db.engine import make_engine, transaction
from huikuan.demo.service import demo_rules, load_demo
from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.links import link_secret, make_link_token
from huikuan.strategy.document import default_strategy
from huikuan.web.app import create_app
from huikuan.web.areas.debtor import SelfServiceSetup
from tests.cycle.test_designations import (
    BEIJING,
    TODAY,
    TOMORROW,
    _action,
    _cases_due,
    _planned_texts,
)
from tests.web.conftest import FAST_HASHER, SECRET, FakeClock
from tests.web.live import live_server
from tests.web_debtor.conftest import Phone

CHROMIUM = "/usr/bin/chromium"
HOLD_RULE = "CN-CBA-2026-HOLD"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


@pytest.fixture
def demo(cipher: FieldCipher, tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    load_demo(
        engine, accounts=600, as_of=TODAY, days=1, seed=5, cipher=cipher, work_dir=tmp_path / "d"
    )
    yield engine
    engine.dispose()


def test_a_dispute_today_stops_the_reminder_planned_for_tomorrow(
    demo: Engine, cipher: FieldCipher
) -> None:
    disputed, untouched = _cases_due(demo, TOMORROW, "sms")[:2]
    with transaction(demo) as s:
        case = s.get(Case, disputed)
        assert case is not None
        mobile = s.scalars(
            select(ContactPoint.value_enc).where(
                ContactPoint.debtor_id == case.debtor_id,
                ContactPoint.owner_type == "self",
                ContactPoint.kind == "mobile",
            )
        ).first()
        assert mobile is not None
        number = cipher.decrypt(mobile, context="contact.value")
    phone = Phone()
    clock = FakeClock(datetime.combine(TODAY, time(15, 0), tzinfo=BEIJING).astimezone(UTC))
    app = create_app(demo, cipher, secret_key=SECRET, password_hasher=FAST_HASHER, clock=clock)
    app.state.selfservice = SelfServiceSetup(send_code=phone)
    link = make_link_token(link_secret(SECRET), disputed, issued_on=TODAY)
    with live_server(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
        ).new_page()
        page.goto(f"{server}/d/{link}")
        page.get_by_label("手机号或邮箱").fill(number)
        page.get_by_role("button", name="发送验证码").click()
        page.get_by_label("验证码（6 位数字）").fill(phone.last_code)
        page.get_by_role("button", name="进入").click()
        page.get_by_role("link", name="对欠款有异议").click()
        page.get_by_label("异议原因").select_option("amount_wrong")
        page.get_by_role("button", name="提交异议").click()
        expect(page.get_by_test_id("outcome")).to_contain_text("欠款异议")
        browser.close()

    report = run_day(demo, TOMORROW, strategy=default_strategy(), rules=demo_rules())
    assert report.sent > 0
    stopped = _action(demo, disputed, "sms")
    assert stopped.status == "blocked"
    assert HOLD_RULE in stopped.rule_ids
    assert _planned_texts(demo, disputed) == []
    assert _action(demo, untouched, "sms").status == "staged"
    assert len(_planned_texts(demo, untouched)) == 1
