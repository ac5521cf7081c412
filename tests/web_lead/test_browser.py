"""A team lead's main task in real Chromium: sign in, land on the team board, open the
approvals, approve an agent's instalment plan by clicking (form POST with the CSRF field),
against uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from tests.web.conftest import PASSWORD, World

from huikuan.cases.models import Case, Plan
from huikuan.db.engine import transaction

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_a_team_lead_approves_a_plan_by_clicking(server: str, world: World) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")  # a folder, to look at the pages by eye
    plan = world.ids["p_inst"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/")
        page.get_by_label("用户名").fill("lead")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/lead/board")
        expect(page.get_by_test_id("board-a1")).to_contain_text("20,537.68")
        if shots:
            page.screenshot(path=f"{shots}/lead-board.png", full_page=True)
        page.get_by_role("link", name="审批").click()
        expect(page).to_have_url(f"{server}/lead/approvals")
        row = page.get_by_test_id(f"plan-{plan}")
        expect(row).to_contain_text("CASE-c1")
        expect(row).to_contain_text("分期")
        row.get_by_placeholder("审批意见").fill("收入证明已核实")
        if shots:
            page.screenshot(path=f"{shots}/lead-approvals.png", full_page=True)
        page.get_by_test_id(f"approve-{plan}").click()
        expect(page.get_by_test_id("result")).to_contain_text("已批准")
        expect(page.get_by_test_id(f"plan-{plan}")).to_have_count(0)
        # Over the lead's limit: refused, and the message says a manager is needed.
        page.get_by_test_id(f"approve-{world.ids['p_share']}").click()
        expect(page.get_by_test_id("error")).to_contain_text("needs a manager")
        if shots:
            page.screenshot(path=f"{shots}/lead-approved.png", full_page=True)
        browser.close()
    assert console_errors == [] or all("403" in text for text in console_errors)
    with transaction(world.engine) as session:
        assert session.get_one(Plan, plan).status == "approved"
        assert session.get_one(Case, world.ids["c1"]).state == "in_plan"
