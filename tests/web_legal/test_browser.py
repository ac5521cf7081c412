"""Legal's main task in real Chromium: sign in, accept the strategy's referral from the queue,
put the lawyer letter to the guard and download it, against uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.web_legal.conftest import FIRM, PASSWORD, World

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_legal_accepts_a_referral_and_downloads_the_lawyer_letter(
    server: str, world: World, tmp_path: Path
) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(
            locale="zh-CN", viewport={"width": 1400, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/")
        page.get_by_label("用户名").fill("legal")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/legal/referrals")
        row = page.get_by_test_id("referral-CASE-c3")
        expect(row).to_contain_text("策略转入")
        accept = page.get_by_test_id("accept-CASE-c3")
        accept.get_by_label("承办律所").select_option(label=FIRM)
        accept.get_by_label("法院 / 仲裁机构").fill("上海市浦东新区人民法院")
        if shots:
            page.screenshot(path=f"{shots}/legal-referrals.png", full_page=True)
        accept.get_by_role("button", name="接收").click()
        expect(page).to_have_url(f"{server}/legal/matters/1")
        expect(page.get_by_test_id("case-state")).to_have_text("法催")
        page.get_by_test_id("send-letter").click()
        expect(page.get_by_test_id("letter-verdict")).to_contain_text("允许")
        expect(page.get_by_test_id("letters")).to_contain_text("LF-000001-20261120")
        if shots:
            page.screenshot(path=f"{shots}/legal-matter.png", full_page=True)
        with page.expect_download() as download_info:
            page.get_by_test_id("letter-pdf").click()
        download = download_info.value
        assert download.suggested_filename == "LF-000001-20261120.pdf"
        saved = tmp_path / "letter.pdf"
        download.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        context.close()
        browser.close()
    assert console_errors == []
