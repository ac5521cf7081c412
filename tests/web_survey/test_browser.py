"""The survey link on a phone-sized Chromium: open it, tap a score, see the thanks."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from huikuan.db.engine import transaction
from huikuan.kpis.models import Survey
from tests.web_survey.conftest import Surveyed

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="run scripts/ensure-browser.sh (Debian chromium)"
    ),
]


def test_one_tap_on_a_phone(server: str, surveyed: Surveyed) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(
            locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}/s/{surveyed.token}")
        button = page.get_by_role("button", name="4 满意")
        box = button.bounding_box()
        assert box is not None
        assert box["width"] > 200
        button.tap()
        expect(page.get_by_test_id("survey-result")).to_have_text("感谢您的评价！")
        page.go_back()
        page.reload()
        expect(page.get_by_test_id("survey")).to_have_attribute("data-state", "already_answered")
        browser.close()
    assert errors == []
    with transaction(surveyed.world.engine) as s:
        assert s.scalar(select(Survey.score).where(Survey.id == surveyed.survey_id)) == 4
