"""A creditor client in real Chromium: signs in, lands on its placements, sees only its own
batches, and opens its files page, against uvicorn on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.web.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_a_creditor_client_signs_in_and_sees_only_its_placements(server: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/")
        page.get_by_label("用户名").fill("cli_a")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/client/placements")
        table = page.get_by_test_id("placements")
        expect(table.locator("tbody tr")).to_have_count(2)
        expect(table).to_contain_text("pa")
        expect(table).to_contain_text("pax")
        expect(table).to_contain_text("500.00")  # recovered on batch pa
        expect(table.get_by_role("cell", name="pb", exact=True)).to_have_count(0)
        page.get_by_role("link", name="文件").click()
        expect(page).to_have_url(f"{server}/client/files")
        expect(page.get_by_test_id("upload-form")).to_be_visible()
        browser.close()
    assert console_errors == []
