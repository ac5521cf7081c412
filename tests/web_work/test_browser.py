"""An agent works a case in real Chromium: opens it, logs a call picked from the disposition
list, records a promise and sends the confirming SMS (htmx forms with the CSRF header),
against uvicorn on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import func, select

from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from tests.web.conftest import PASSWORD, World

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_an_agent_logs_a_call_records_a_promise_and_confirms_it(server: str, world: World) -> None:
    case = world.ids["c1"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/login?next=/cases/{case}")
        page.get_by_label("用户名").fill("a1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/cases/{case}")
        panel = page.get_by_test_id("work-panel")
        expect(panel).to_be_visible()  # loaded by htmx
        expect(page.get_by_test_id("status-phone")).to_contain_text("允许")

        page.get_by_test_id("call-disposition").select_option("promise")
        page.get_by_test_id("call-note").fill("客户同意下周还款")
        page.get_by_test_id("call-submit").click()
        expect(page.get_by_test_id("call-result")).to_contain_text("通话已记录")
        expect(page.get_by_test_id("call-result")).to_contain_text("承诺还款")

        page.get_by_test_id("promise-amount").fill("500")
        page.get_by_test_id("promise-date").fill("2026-11-25")
        page.get_by_test_id("promise-submit").click()
        expect(page.get_by_test_id("promise-result")).to_contain_text("500.00")

        page.get_by_test_id("message-template").select_option("SMS-PTP-CONFIRM|zh")
        page.get_by_test_id("message-preview-button").click()
        expect(page.get_by_test_id("message-preview")).to_contain_text("2026-11-25前还款500.00元")
        page.get_by_test_id("message-send").dblclick()  # a double click sends once
        expect(page.get_by_test_id("message-result")).to_be_visible()
        browser.close()
    assert console_errors == []
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
