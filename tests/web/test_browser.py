"""An agent's first minutes in real Chromium: sign in, see the queue, open a case, reveal the
phone number (htmx POST with the CSRF header), against uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect, sync_playwright

from tests.web.conftest import PASSWORD, World
from tests.web.live import live_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def test_an_agent_signs_in_opens_a_case_and_reveals_the_phone(server: str, world: World) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")  # a folder, to look at the pages by eye
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/queue")
        expect(page).to_have_url(f"{server}/login?next=%2Fqueue")
        if shots:
            page.screenshot(path=f"{shots}/login.png", full_page=True)
        page.get_by_label("用户名").fill("a1")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/queue")
        queue = page.get_by_test_id("queue")
        expect(queue.locator("tbody tr")).to_have_count(2)
        expect(queue.locator("tbody tr").first).to_contain_text("今日承诺")
        if shots:
            page.screenshot(path=f"{shots}/queue.png", full_page=True)
        page.get_by_role("link", name="CASE-c1", exact=True).click()
        expect(page).to_have_url(f"{server}/cases/{world.ids['c1']}")
        mobile = page.get_by_test_id(f"contact-{world.ids['c1_mobile']}")
        expect(mobile).to_have_text("138****5678")
        page.get_by_test_id(f"reveal-contact-{world.ids['c1_mobile']}").click()
        expect(mobile).to_have_text("13812345678")
        expect(page.get_by_test_id("timeline")).to_contain_text("CN-QUIET-HOURS")
        if shots:
            page.screenshot(path=f"{shots}/case.png", full_page=True)
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Contact timeline")).to_be_visible()
        browser.close()
    assert console_errors == []
