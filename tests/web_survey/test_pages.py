"""The public survey page and its JSON twin: no sign-in, one answer, CSRF still required."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from huikuan.db.engine import transaction
from huikuan.kpis.models import Survey
from tests.web.conftest import FakeClock, csrf_of
from tests.web_survey.conftest import Surveyed


def score_of(surveyed: Surveyed) -> int | None:
    with transaction(surveyed.world.engine) as s:
        return s.scalar(select(Survey.score).where(Survey.id == surveyed.survey_id))


def test_the_page_asks_one_question_and_shows_nothing_personal(
    client: TestClient, surveyed: Surveyed
) -> None:
    page = client.get(f"/s/{surveyed.token}")
    assert page.status_code == 200
    assert "请为近期与我们的沟通打分" in page.text
    assert page.text.count('name="score"') == 5
    for personal in ("王", "138****5678", "CASE-c1", "A 银行"):
        assert personal not in page.text
    assert 'name="viewport"' in page.text


def test_one_tap_records_the_score_and_a_second_is_ignored(
    client: TestClient, surveyed: Surveyed
) -> None:
    token = csrf_of(client.get(f"/s/{surveyed.token}").text)
    first = client.post(f"/s/{surveyed.token}", data={"score": "5", "csrf_token": token})
    assert first.status_code == 200
    assert "感谢您的评价" in first.text
    second = client.post(f"/s/{surveyed.token}", data={"score": "1", "csrf_token": token})
    assert "您已评价过" in second.text
    assert score_of(surveyed) == 5
    assert 'data-state="already_answered"' in client.get(f"/s/{surveyed.token}").text


def test_an_answer_without_the_csrf_token_is_refused(
    client: TestClient, surveyed: Surveyed
) -> None:
    client.get(f"/s/{surveyed.token}")
    refused = client.post(f"/s/{surveyed.token}", data={"score": "5"})
    assert refused.status_code == 403
    assert score_of(surveyed) is None


def test_a_score_out_of_range_names_the_field(client: TestClient, surveyed: Surveyed) -> None:
    token = csrf_of(client.get(f"/s/{surveyed.token}").text)
    bad = client.post(f"/s/{surveyed.token}", data={"score": "9", "csrf_token": token})
    assert bad.status_code == 422
    assert "评分" in bad.text
    assert score_of(surveyed) is None


def test_an_unknown_or_expired_link(
    client: TestClient, surveyed: Surveyed, clock: FakeClock
) -> None:
    assert client.get("/s/not-a-real-token-at-all").status_code == 404
    clock.advance(days=15)
    page = client.get(f"/s/{surveyed.token}")
    assert "此回访链接已失效" in page.text
    token = csrf_of(page.text)
    client.post(f"/s/{surveyed.token}", data={"score": "4", "csrf_token": token})
    assert score_of(surveyed) is None


def test_the_page_speaks_english(client: TestClient, surveyed: Surveyed) -> None:
    client.cookies.set("lang", "en")
    page = client.get(f"/s/{surveyed.token}")
    assert "Please rate your recent contact with us" in page.text
    assert "5 Very satisfied" in page.text


def test_the_json_routes_answer_once(client: TestClient, surveyed: Surveyed) -> None:
    csrf = csrf_of(client.get(f"/s/{surveyed.token}").text)
    url = f"/api/surveys/{surveyed.token}"
    assert client.get(url).json() == {"state": "open"}
    headers = {"X-CSRF-Token": csrf}
    assert client.post(url, json={"score": 0}, headers=headers).status_code == 422
    assert client.post(url, json={"score": 3}).status_code == 403  # no CSRF header
    assert client.post(url, json={"score": 3}, headers=headers).json() == {"state": "recorded"}
    again = client.post(url, json={"score": 5}, headers=headers).json()
    assert again == {"state": "already_answered"}
    assert score_of(surveyed) == 3
    assert client.get("/api/surveys/unknown-token-xyz").status_code == 404
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/surveys/{token}" in paths
    assert "/s/{token}" not in paths
