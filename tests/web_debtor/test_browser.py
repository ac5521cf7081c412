"""The debtor's own page in real Chromium on a phone-sized screen: every path, by clicking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select, update

from huikuan.accounts.models import Account
from huikuan.cases.models import Plan
from huikuan.db.engine import transaction
from huikuan.payments.config import PayConfig
from huikuan.payments.models import Payment
from huikuan.payments.provider_fakes import RunningFakes, start_fakes
from huikuan.quality.models import Complaint, Dispute
from huikuan.selfservice.models import DebtorAttachment
from huikuan.web.areas.payhooks import pay_config
from tests.payments.conftest import base_config
from tests.web.conftest import FakeClock, World
from tests.web.live import live_server
from tests.web_debtor.conftest import DEBTOR_MOBILE, Phone, link_for

__all__ = ["base_config"]

CHROMIUM = "/usr/bin/chromium"
PHONE_SCREEN = {"width": 390, "height": 844}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


@pytest.fixture
def server(debtor_app: FastAPI) -> Iterator[str]:
    with live_server(debtor_app) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(
            locale="zh-CN", viewport=PHONE_SCREEN, is_mobile=True, has_touch=True
        )
        made = context.new_page()
        errors: list[tuple[str, str]] = []
        made.on(
            "console",
            lambda m: (
                errors.append((m.text, m.location.get("url", ""))) if m.type == "error" else None
            ),
        )
        yield made
        # No CSP or script errors on our pages (the fake cashier's missing favicon is not ours).
        ours = [text for text, url in errors if "/d/" in url or not url]
        assert not ours, errors
        browser.close()


def _sign_in(page: Page, server: str, link: str, phone: Phone) -> None:
    page.goto(f"{server}/d/{link}")
    page.get_by_label("手机号或邮箱").fill(DEBTOR_MOBILE)
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码（6 位数字）").fill(phone.last_code)
    page.get_by_role("button", name="进入").click()
    expect(page.get_by_test_id("balance")).to_be_visible()


def test_sign_in_see_the_breakdown_and_agree_a_plan(
    server: str, page: Page, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c3"])
    _sign_in(page, server, link, phone)
    # c3: 1,007,000 + 12,345 + 6,789 + 1,000 fen
    expect(page.get_by_test_id("balance")).to_have_text("¥10,271.34")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
    page.get_by_role("link", name="申请分期或协商结清").click()
    page.get_by_label("期数").fill("6")
    page.get_by_label("首期还款日").fill("2026-12-01")
    page.get_by_role("button", name="试算").click()
    expect(page.get_by_test_id("preview")).to_contain_text("提交后立即生效")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", name="方案已生效")).to_be_visible()
    page.get_by_role("link", name="返回").click()
    expect(page.get_by_test_id("requests")).to_contain_text("分期还款")
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).where(Plan.case_id == world.ids["c3"])).one()
        assert plan.status == "approved"


def test_dispute_and_complain_with_attachments(
    server: str, page: Page, world: World, phone: Phone, tmp_path: Path
) -> None:
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(b"%PDF-1.4\n% statement\n")
    recording = tmp_path / "call.mp3"
    recording.write_bytes(b"ID3\x04\x00" + b"\x00" * 32)
    link = link_for(world.ids["c1"])
    _sign_in(page, server, link, phone)
    page.get_by_role("link", name="对欠款有异议").click()
    page.get_by_label("异议原因").select_option("not_my_debt")
    page.get_by_label("说明").fill("我从未办理过这张卡")
    page.get_by_label("附件（可选）").set_input_files(str(statement))
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("欠款异议")
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="投诉催收人员").click()
    page.get_by_label("投诉类别").select_option("collector_conduct")
    page.get_by_label("投诉内容").fill("催收员在电话里辱骂我")
    page.get_by_label("附件（可选）").set_input_files(str(recording))
    page.get_by_role("button", name="提交投诉").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("投诉")
    page.get_by_role("link", name="返回").click()
    expect(page.get_by_test_id("requests")).to_contain_text("核查中（暂停催收）")
    with transaction(world.engine) as s:
        assert s.scalars(select(Dispute).where(Dispute.case_id == world.ids["c1"])).one()
        complaint = s.scalars(select(Complaint).where(Complaint.case_id == world.ids["c1"])).one()
        assert complaint.source == "debtor_page"
        types = sorted(s.scalars(select(DebtorAttachment.content_type)))
        assert types == ["application/pdf", "audio/mpeg"]


def test_stop_calls_set_times_and_opt_out(
    server: str, page: Page, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    _sign_in(page, server, link, phone)
    page.get_by_role("link", name="联系方式与时间").click()
    page.get_by_role("button", name="停止电话联系").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("已生效")
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="联系方式与时间").click()
    page.get_by_label("周六").check()
    page.get_by_label("周日").check()
    page.get_by_role("button", name="保存不便联系时间").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("不便联系时间")
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="联系方式与时间").click()
    page.get_by_label("邮件").check()
    page.get_by_role("button", name="退订", exact=True).click()
    expect(page.get_by_test_id("outcome")).to_contain_text("退订渠道")
    page.get_by_role("link", name="返回").click()
    designations = page.get_by_test_id("designations")
    expect(designations.locator("li")).to_have_count(3)


def test_a_settled_debtor_downloads_the_certificate(
    server: str, page: Page, world: World, phone: Phone
) -> None:
    with transaction(world.engine) as s:
        s.execute(
            update(Account)
            .where(Account.case_id == world.ids["c3"])
            .values(status="settled", principal=0, interest=0, penalty=0, fee=0)
        )
    link = link_for(world.ids["c3"])
    _sign_in(page, server, link, phone)
    expect(page.get_by_role("status")).to_contain_text("已结清")
    with page.expect_download() as download:
        page.get_by_test_id("certificate").click()
    saved = download.value.path()
    assert saved is not None
    assert Path(saved).read_bytes().startswith(b"%PDF")


def test_english_is_one_tap_away(server: str, page: Page, world: World, phone: Phone) -> None:
    link = link_for(world.ids["c1"])
    page.goto(f"{server}/d/{link}")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Mobile number or email").fill(DEBTOR_MOBILE)
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code (6 digits)").fill(phone.last_code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="My debt", exact=True)).to_be_visible()


@pytest.fixture
def paying_server(
    debtor_app: FastAPI, base_config: PayConfig, clock: FakeClock
) -> Iterator[tuple[str, RunningFakes]]:
    """The app on a socket and both payment fakes, each notify delivered twice."""
    with live_server(debtor_app) as url:
        fakes = start_fakes(
            base_config.model_copy(update={"notify_base_url": url}), notify_times=2, clock=clock
        )
        debtor_app.dependency_overrides[pay_config] = lambda: fakes.config
        try:
            yield url, fakes
        finally:
            fakes.stop()


def test_pay_with_alipay_and_the_notify_that_arrives_twice_posts_once(
    paying_server: tuple[str, RunningFakes], page: Page, world: World, phone: Phone
) -> None:
    server, fakes = paying_server
    link = link_for(world.ids["c3"])
    _sign_in(page, server, link, phone)
    page.get_by_role("link", name="立即还款").click()
    page.get_by_label("还款金额（元）").fill("100.00")
    page.get_by_label("支付宝").check()
    page.get_by_role("button", name="去支付").click()
    page.get_by_test_id("go-pay").click()
    expect(page.get_by_test_id("amount")).to_have_text("¥100.00")  # the provider's cashier
    page.get_by_role("button", name="确认付款 / Pay").click()
    # The provider sends the debtor back to their page (with its signed return parameters).
    expect(page).to_have_url(re.compile(re.escape(f"{server}/d/{link}?") + ".*out_trade_no="))
    assert [d.body for d in fakes.alipay.deliveries] == ["success", "success"]
    # The waterfall: fee 10.00 and penalty 67.89 first, then 22.11 of the interest.
    expect(page.get_by_test_id("balance")).to_have_text("¥10,171.34")
    expect(page.get_by_test_id("payments")).to_contain_text("¥100.00")
    with transaction(world.engine) as s:
        paid = s.scalars(
            select(Payment)
            .join(Account, Account.id == Payment.account_id)
            .where(Account.case_id == world.ids["c3"])
        ).all()
        assert [(p.amount, p.source) for p in paid] == [(10_000, "portal_alipay")]
        account = s.scalars(select(Account).where(Account.case_id == world.ids["c3"])).one()
        assert (account.fee, account.penalty, account.interest) == (0, 0, 10_134)


def test_a_bank_transfer_gets_its_reference(
    paying_server: tuple[str, RunningFakes], page: Page, world: World, phone: Phone
) -> None:
    server, _ = paying_server
    link = link_for(world.ids["c3"])
    _sign_in(page, server, link, phone)
    page.get_by_role("link", name="立即还款").click()
    page.get_by_label("银行转账").check()
    page.get_by_role("button", name="去支付").click()
    expect(page.get_by_test_id("bank-reference")).to_have_text(re.compile(r"^HK-CASE-c3-\d{2}$"))


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML)"""


def test_every_page_is_labelled_for_screen_readers_and_works_by_keyboard(
    server: str, page: Page, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    page.goto(f"{server}/d/{link}")
    assert page.evaluate(UNLABELLED) == []
    # By keyboard alone: the skip link first, then the field, typing, Enter submits.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.get_by_label("手机号或邮箱").focus()
    page.keyboard.type(DEBTOR_MOBILE)
    page.keyboard.press("Enter")
    page.get_by_label("验证码（6 位数字）").focus()
    page.keyboard.type(phone.last_code)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("balance")).to_be_visible()
    for path in ("", "/pay", "/plan", "/dispute", "/complaint", "/contact"):
        page.goto(f"{server}/d/{link}{path}")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("h1").count() == 1, path
