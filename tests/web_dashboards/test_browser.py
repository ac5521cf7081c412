"""Each dashboard in real Chromium, opened the way its user opens it: sign in, click the menu
item, pick the period. Every chart must be drawn by ECharts (an instance on the container with
non-empty series, and pixels on its canvas), the table behind it must have rows, and the page
must log no console errors (the CSP refuses inline scripts, so an escaped data block or a chart
library that evaluated code would show up here)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.web.conftest import PASSWORD
from tests.web_dashboards.conftest import PERIOD

CHROMIUM = "/usr/bin/chromium"
STAFF_CHARTS = ("recovery_curve", "roll_rates", "funnel", "agent_league", "compliance_blocks")
CLIENT_CHARTS = ("recovery_curve", "recovered_by_month")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]

# Points per series of the ECharts instance on a container (null: no instance).
SERIES = """el => {
  const chart = window.echarts && window.echarts.getInstanceByDom(el);
  if (!chart) return null;
  return chart.getOption().series.map(s => (s.data || []).length);
}"""
# Whether the chart's canvas has any painted pixel.
PAINTED = """el => {
  const canvas = el.querySelector("canvas");
  if (!canvas || !canvas.width || !canvas.height) return false;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
  return false;
}"""


def check_charts(page: Page, charts: tuple[str, ...]) -> None:
    expect(page.locator("[data-chart]")).to_have_count(len(charts))
    for key in charts:
        chart = page.get_by_test_id(f"chart-{key}")
        expect(chart).to_have_attribute("data-rendered", "true")
        series = chart.evaluate(SERIES)
        assert series, f"{key}: no ECharts instance or no series"
        assert sum(series) > 0, f"{key}: every series is empty"
        assert chart.evaluate(PAINTED), f"{key}: nothing drawn on the canvas"
        box = chart.bounding_box()
        assert box is not None, key
        assert box["height"] > 100, key
        rows = page.get_by_test_id(f"rows-{key}").locator("tbody tr")
        assert rows.count() > 0, f"{key}: the table behind the chart has no rows"


@pytest.mark.parametrize(
    ("username", "menu", "name", "charts"),
    [
        ("manager", None, "manager", STAFF_CHARTS),
        ("lead1", "团队看板", "team", STAFF_CHARTS),
        ("creditor", "回收看板", "client", CLIENT_CHARTS),
    ],
)
def test_each_dashboard_renders_every_chart(
    server: str, username: str, menu: str | None, name: str, charts: tuple[str, ...]
) -> None:
    shots = os.environ.get("HUIKUAN_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.goto(f"{server}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        if menu is None:  # the manager lands on the dashboard
            expect(page).to_have_url(f"{server}/dashboards/{name}")
        else:
            link = page.get_by_role("navigation").locator(f'a[href="/dashboards/{name}"]')
            expect(link).to_have_text(menu)
            link.click()
            expect(page).to_have_url(f"{server}/dashboards/{name}")
        page.get_by_label("开始日期").fill(PERIOD["start"])
        page.get_by_role("button", name="查看").click()
        # The client's page also carries the statement month.
        query = f"?start={PERIOD['start']}&end={PERIOD['end']}"
        expect(page).to_have_url(re.compile(re.escape(f"{server}/dashboards/{name}{query}")))
        check_charts(page, charts)
        page.get_by_test_id(f"table-{charts[0]}").locator("summary").click()
        expect(page.get_by_test_id(f"rows-{charts[0]}")).to_be_visible()
        if shots:
            page.screenshot(path=f"{shots}/dashboard-{name}.png", full_page=True)
        browser.close()
    assert console_errors == []
