"""The manager's dashboard in real Chromium: sign in, land on the dashboard, every chart drawn
by ECharts (a canvas in each container), no console errors (the CSP refuses inline scripts, so
an escaped data block or a chart library that evaluated code would show up here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.web.conftest import PASSWORD
from tests.web_dashboards.conftest import PERIOD

CHROMIUM = "/usr/bin/chromium"
CHARTS = ("recovery_curve", "roll_rates", "funnel", "agent_league", "compliance_blocks")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_manager_dashboard_renders_every_chart(server: str) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.goto(f"{server}/login")
        page.get_by_label("用户名").fill("manager")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{server}/dashboards/manager")
        page.get_by_label("开始日期").fill(PERIOD["start"])
        page.get_by_role("button", name="查看").click()
        expect(page).to_have_url(
            f"{server}/dashboards/manager?start={PERIOD['start']}&end={PERIOD['end']}"
        )
        containers = page.locator("[data-chart]")
        expect(containers).to_have_count(len(CHARTS))
        for key in CHARTS:
            chart = page.get_by_test_id(f"chart-{key}")
            expect(chart).to_have_attribute("data-rendered", "true")
            expect(chart.locator("canvas, svg").first).to_be_attached()
            box = chart.bounding_box()
            assert box is not None, key
            assert box["height"] > 100, key
        page.get_by_test_id("table-roll_rates").locator("summary").click()
        expect(page.get_by_test_id("rows-roll_rates")).to_be_visible()
        if shots:
            page.screenshot(path=f"{shots}/dashboard-manager.png", full_page=True)
        browser.close()
    assert console_errors == []
