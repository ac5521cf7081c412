"""The QA screens through the pages and the JSON API: the sample with hits marked and every
user text escaped, scoring a contact, complaints with timers and escalation, disputes, and the
refusals (wrong role, another scope, CSRF missing, over the limits)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huikuan.db.engine import transaction
from huikuan.quality.models import Complaint, Dispute, QaReview
from huikuan.quality.scorecard import CRITERIA
from tests.web.conftest import FakeClock, World, csrf_of, login

SCORES = {f"score.{c.code}": "pass" for c in CRITERIA}


def _count(world: World, model: type[object]) -> int:
    with transaction(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_qa_lands_on_the_sample_with_hits_marked_and_text_escaped(
    client: TestClient, world: World
) -> None:
    login(client, "qa")
    landing = client.get("/", follow_redirects=False)
    assert landing.headers["location"] == "/quality/sample"
    page = client.get("/quality/sample?size=50").text
    assert "<mark" in page
    assert re.search(r'<mark class="hit block" title="虚假法律后果">坐牢</mark>', page)
    assert re.search(r'<mark class="hit block" title="向第三方透露债务">告诉你家人</mark>', page)
    # The texts' HTML is shown as text, never run.
    assert "&lt;script&gt;alert(&#39;sms&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "CN-CONTENT-FALSE-LEGAL" in page
    assert "消息内容含有禁用表述" in page
    sample = client.get("/api/quality/sample?size=50").json()
    assert sample["population"] == 5
    assert sample["window_start"] == "2026-11-13"
    assert sample["window_end"] == "2026-11-19"
    assert {c["attempt_id"] for c in sample["contacts"]} >= {
        world.ids["qa_sms"],
        world.ids["qa_call"],
        world.ids["qa_clean"],
    }
    small = client.get("/api/quality/sample?size=2").json()
    assert small["contacts"] == client.get("/api/quality/sample?size=2").json()["contacts"]
    english = client.get("/quality/sample", headers={"Accept-Language": "en"}).text
    assert "QA contact sample" in english


def test_scoring_a_contact_through_the_form(client: TestClient, world: World) -> None:
    token = login(client, "qa")
    attempt = world.ids["qa_call"]
    sheet = client.get(f"/quality/contacts/{attempt}").text
    # The note's disclosure suggests a fail on that criterion.
    assert re.search(r'rate-no_third_party_disclosure-fail"\s+checked', sheet)
    assert not re.search(r'rate-no_third_party_disclosure-pass"\s+checked', sheet)
    missing = dict(SCORES)
    del missing["score.correct_amount"]
    refused = client.post(
        f"/quality/contacts/{attempt}/review", data=missing | {"csrf_token": token}
    )
    assert refused.status_code == 422
    assert 'data-testid="error-correct_amount"' in refused.text
    assert _count(world, QaReview) == 0
    saved = client.post(
        f"/quality/contacts/{attempt}/review",
        data=SCORES | {"score.plan_options_offered": "na", "comment": "<b>好</b>"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = client.get(f"/quality/contacts/{attempt}").text
    assert 'data-testid="review-total">100<' in shown
    assert "&lt;b&gt;好&lt;/b&gt;" in shown
    again = client.post(f"/quality/contacts/{attempt}/review", data=SCORES | {"csrf_token": token})
    assert again.status_code == 409
    api = client.post(
        f"/api/quality/contacts/{world.ids['qa_sms']}/review",
        json={"scores": {c.code: "pass" for c in CRITERIA} | {"purpose_stated": "fail"}},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == 201
    assert api.json()["total"] == 90
    score = client.get(
        f"/api/quality/agents/{world.ids['a1']}/score?start=2026-11-01&end=2026-11-30"
    ).json()
    assert score["score"] == 90
    bad = client.post(
        f"/api/quality/contacts/{world.ids['qa_clean']}/review",
        json={"scores": {"identity_disclosed": "excellent"}},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "identity_disclosed"]


def test_complaints_with_timers_escalation_and_holds(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    token = login(client, "qa")
    form = {
        "csrf_token": token,
        "case_no": "CASE-c1",
        "source": "phone",
        "category": "collector_conduct",
        "summary": "<script>x</script> 催收员威胁",
    }
    made = client.post("/quality/complaints", data=form, follow_redirects=False)
    assert made.status_code == 303
    page = client.get("/quality/complaints").text
    assert "剩余 3 天" in page  # acknowledge by Monday 24:00, seen Friday 09:00
    assert "停催中" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page
    unknown = client.post("/quality/complaints", data=form | {"case_no": "CASE-nope"})
    assert unknown.status_code == 422
    assert 'data-testid="error-case_no"' in unknown.text
    assert _count(world, Complaint) == 1
    complaint_id = client.get("/api/quality/complaints").json()["complaints"][0]["id"]
    clock.advance(days=4)
    token = login(client, "qa")  # the session did not outlive four days
    late = client.get("/quality/complaints", headers={"Accept-Language": "en"}).text
    assert 'data-testid="escalated-now"' in late
    assert "overdue 9h" in late
    assert "Escalated" in late
    listed = client.get("/api/quality/complaints").json()
    assert listed["escalated_now"] == []  # already escalated by the page load
    assert listed["complaints"][0]["status"] == "escalated"
    resolved = client.post(
        f"/quality/complaints/{complaint_id}/resolve",
        data={"csrf_token": token, "resolution": "已致歉并培训"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    final = client.get(f"/api/quality/complaints/{complaint_id}").json()
    assert final["status"] == "resolved"
    assert final["hold_active"] is False


def test_disputes_through_the_pages(client: TestClient, world: World) -> None:
    token = login(client, "qa")
    opened = client.post(
        "/quality/disputes",
        data={"csrf_token": token, "case_no": "CASE-c3", "reason": "not_my_debt"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    dispute_id = client.get("/api/quality/disputes").json()[0]["id"]
    own = client.post(
        f"/quality/disputes/{dispute_id}/decide",
        data={"csrf_token": token, "outcome": "upheld", "note": "x"},
    )
    assert own.status_code == 403
    assert "登记争议的人不能裁定该争议" in own.text
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "mgr")
    decided = client.post(
        f"/quality/disputes/{dispute_id}/decide",
        data={"csrf_token": token, "outcome": "upheld", "note": "身份被冒用"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    page = client.get("/quality/disputes").text
    assert f'data-testid="adjustment-{dispute_id}"' in page
    assert "余额调整需另行提交申请" in page


def test_refusals(client: TestClient, world: World) -> None:
    login(client, "a1")
    assert client.get("/quality/sample").status_code == 403
    assert client.get("/api/quality/complaints").status_code == 403
    token = csrf_of(client.get("/home").text)
    # An agent may register a complaint on their own case through the API, not on another's.
    other = client.post(
        "/api/quality/complaints",
        json={"case_id": world.ids["c3"], "source": "phone", "category": "other", "summary": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert other.status_code == 404
    mine = client.post(
        "/api/quality/complaints",
        json={"case_id": world.ids["c1"], "source": "phone", "category": "privacy", "summary": "x"},
        headers={"X-CSRF-Token": token},
    )
    assert mine.status_code == 201
    assert mine.json()["hold_active"] is True
    client.post("/logout", data={"csrf_token": token})

    login(client, "cli_a")
    assert client.get("/api/quality/sample").status_code == 403
    client.cookies.clear()

    login(client, "xqa")  # the agency's QA: case c1 is outside its scope
    assert client.get(f"/quality/contacts/{world.ids['qa_sms']}").status_code == 404
    assert client.get(f"/api/quality/contacts/{world.ids['qa_clean']}").status_code == 200
    client.cookies.clear()

    token = login(client, "qa")
    before = _count(world, Dispute)
    no_csrf = client.post("/quality/disputes", data={"case_no": "CASE-c1", "reason": "other"})
    assert no_csrf.status_code == 403
    assert _count(world, Dispute) == before
    over = client.get("/api/quality/sample?size=51")
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["body", "size"]
    page = client.get("/quality/sample?size=51")
    assert page.status_code == 422
    assert 'data-testid="error-size"' in page.text
    too_long = client.post(
        "/api/quality/disputes",
        json={"case_id": world.ids["c1"], "reason": "other", "evidence_note": "x" * 4001},
        headers={"X-CSRF-Token": token},
    )
    assert too_long.status_code == 422
    assert _count(world, Dispute) == before


def test_the_api_is_documented(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for path in (
        "/api/quality/sample",
        "/api/quality/scorecard",
        "/api/quality/contacts/{attempt_id}/review",
        "/api/quality/agents/{agent_id}/score",
        "/api/quality/complaints",
        "/api/quality/complaints/{complaint_id}/resolve",
        "/api/quality/complaints/escalate",
        "/api/quality/disputes/{dispute_id}/decide",
    ):
        assert path in schema["paths"], path
    assert "QaSampleRead" in schema["components"]["schemas"]
    assert not any(p.startswith("/quality/") for p in schema["paths"])
