"""A QA reviewer in real Chromium: sign in, land on the sample, open a contact, score it by
clicking, and see the total; against uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from huikuan.quality.scorecard import CRITERIA
from tests.web.conftest import PASSWORD, World

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_a_reviewer_scores_a_sampled_contact(server: str, world: World) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")
    attempt = world.ids["qa_clean"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/")
        page.get_by_label("用户名").fill("qa")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/quality/sample")
        page.get_by_label("样本量").fill("50")
        page.get_by_role("button", name="抽样").click()
        expect(page.get_by_test_id(f"content-{world.ids['qa_sms']}").locator("mark")).to_have_text(
            "坐牢"
        )
        if shots:
            page.screenshot(path=f"{shots}/quality-sample.png", full_page=True)
        page.get_by_test_id(f"score-{attempt}").click()
        expect(page).to_have_url(f"{server}/quality/contacts/{attempt}")
        for criterion in CRITERIA:
            rating = "partial" if criterion.code == "plan_options_offered" else "pass"
            page.get_by_test_id(f"rate-{criterion.code}-{rating}").check()
        page.get_by_label("评语").fill("表明身份清楚，方案可更具体")
        page.get_by_role("button", name="提交评分").click()
        expect(page).to_have_url(f"{server}/quality/contacts/{attempt}")
        expect(page.get_by_test_id("review-total")).to_have_text("95")
        if shots:
            page.screenshot(path=f"{shots}/quality-sheet.png", full_page=True)
        page.get_by_role("link", name="返回抽样").click()
        expect(page.get_by_test_id(f"scored-{attempt}")).to_contain_text("95")
        browser.close()
    assert console_errors == []
