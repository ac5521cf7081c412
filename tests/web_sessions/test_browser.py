"""In real Chromium: an agent signed in on two machines ends the other one from the sessions
page, and the other machine is signed out at its next click."""

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


def test_an_agent_ends_the_session_of_another_machine(server: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        machines = [browser.new_context(locale="zh-CN") for _ in range(2)]
        pages = [machine.new_page() for machine in machines]
        console_errors: list[str] = []
        for page in pages:
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.goto(f"{server}/login")
            page.get_by_label("用户名").fill("a1")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page).to_have_url(f"{server}/queue")
        mine, other = pages
        mine.get_by_role("link", name="登录会话").click()
        expect(mine).to_have_url(f"{server}/sessions")
        rows = mine.get_by_test_id("sessions").locator("tbody tr")
        expect(rows).to_have_count(2)
        foreign = rows.filter(has_not_text="当前会话")
        foreign.get_by_role("button", name="结束").click()
        expect(mine).to_have_url(f"{server}/sessions")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("当前会话")
        other.reload()
        expect(other).to_have_url(f"{server}/login?next=%2Fqueue")
        mine.get_by_role("link", name="回款").first.click()
        expect(mine).to_have_url(f"{server}/queue")
        browser.close()
    assert console_errors == []
