"""The queue and the case page through the HTML and the JSON API: order, scope, masking,
audited reveals, languages and escaping."""

from __future__ import annotations

import doctest
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.security.crypto import FieldCipher
from huikuan.web import i18n
from huikuan.web.i18n import CATALOGUES
from tests.web.conftest import XSS_NAME, FakeClock, World, build_world, login, make_app


def test_the_agents_queue_puts_todays_promise_first_then_worst_dpd(
    client: TestClient, world: World
) -> None:
    login(client, "a1")
    queue = client.get("/api/queue").json()
    assert [row["case_id"] for row in queue["rows"]] == [world.ids["c1"], world.ids["c1b"]]
    first = queue["rows"][0]
    assert first["ptp_today"] is True
    assert first["ptp_amount"] == 88_800
    assert first["mobile_masked"] == "138****5678"
    assert first["balance"] == 1_000_000 + 4_000 + 12_345 + 6_789 + 1_000
    page = client.get("/queue").text
    assert "今日承诺" in page
    assert "10,241.34" in page  # the balance in yuan, exactly
    assert page.index("CASE-c1<") < page.index("CASE-c1b<")


def test_queue_pages_with_htmx(client: TestClient, world: World) -> None:
    login(client, "mgr")
    first = client.get("/queue?limit=2").text
    assert 'hx-get="/queue?offset=2&amp;limit=2"' in first
    fragment = client.get("/queue?offset=2&limit=2", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment
    assert fragment.count("<tr>") == 2
    last = client.get("/queue?offset=4&limit=2", headers={"HX-Request": "true"}).text
    assert last.count("<tr>") == 1
    assert "queue-more" not in last


def test_the_case_page_shows_balances_payments_timeline_promises_and_plans(
    client: TestClient, world: World
) -> None:
    login(client, "a1")
    page = client.get(f"/cases/{world.ids['c1']}").text
    assert "王**" in page
    assert "138****5678" in page
    assert "10,040.00" in page  # principal, 1,004,000 fen
    assert "123.45" in page
    assert "67.89" in page
    assert "10.00" in page
    assert "500.00" in page  # the payment
    assert "888.00" in page  # the promise
    assert "分期" in page  # the plan kind, named in the page language
    assert "CN-QUIET-HOURS" in page
    assert "债务人当地时间处于禁止催收时段" in page
    assert "13812345678" not in page  # masked until revealed
    detail = client.get(f"/api/cases/{world.ids['c1']}").json()
    assert [a["decision"] for a in detail["timeline"]] == ["deferred", "allowed"]
    assert detail["accounts"][0]["total"] == detail["total"] == 1_024_134
    assert detail["can_reveal"] == ["name", "mobile"]


@pytest.mark.parametrize(
    ("username", "case"),
    [("a1", "c3"), ("a1", "c2"), ("a1", "c4"), ("x1", "c1"), ("cli_a", "c4"), ("lead", "c2")],
)
def test_cases_out_of_scope_are_not_found(
    client: TestClient, world: World, username: str, case: str
) -> None:
    login(client, username)
    case_id = world.ids[case]
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 404
    assert "不在您的权限范围内" in page.text
    assert client.get(f"/api/cases/{case_id}").status_code == 404


def test_agency_staff_see_only_the_agencys_fields(client: TestClient, world: World) -> None:
    login(client, "x1")
    queue = client.get("/api/queue").json()
    assert [row["case_id"] for row in queue["rows"]] == [world.ids["c2"]]
    assert "state" not in queue["fields"]
    assert "case_no" not in queue["fields"]
    assert queue["rows"][0]["case_no"] is None
    assert queue["rows"][0]["state"] is None
    detail = client.get(f"/api/cases/{world.ids['c2']}").json()
    assert detail["debtor"]["id_number_masked"] is None
    assert detail["can_reveal"] == []
    # Only the debtor's own mobile, never the emergency contact.
    assert [c["id"] for c in detail["contacts"]] == [world.ids["c2_mobile"]]
    page = client.get(f"/cases/{world.ids['c2']}").text
    assert "110105" not in page
    assert "139****1111" not in page
    assert "hx-post" not in page


def test_reveal_is_refused_to_roles_without_it_and_audited_when_allowed(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    case_id, mobile = world.ids["c1"], world.ids["c1_mobile"]
    body = {"field": "mobile", "contact_id": mobile}
    for username in ("qa", "cli_a", "x1"):
        client.cookies.clear()
        token = login(client, username)
        refused = client.post(
            f"/api/cases/{case_id if username != 'x1' else world.ids['c2']}/reveal",
            json=body,
            headers={"X-CSRF-Token": token},
        )
        assert refused.status_code == 403, username
    client.cookies.clear()
    token = login(client, "a1")
    page = client.get(f"/cases/{case_id}").text
    assert f'data-testid="reveal-contact-{mobile}"' in page
    shown = client.post(
        f"/cases/{case_id}/reveal",
        data={"field": "mobile", "contact_id": str(mobile)},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert shown.status_code == 200
    assert "13812345678" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    # Another case's contact point cannot be revealed through this case.
    other = {"field": "mobile", "contact_id": world.ids["c3_mobile"]}
    wrong = client.post(f"/api/cases/{case_id}/reveal", json=other, headers={"X-CSRF-Token": token})
    assert wrong.status_code == 404
    with transaction(world.engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()
    assert [(r.actor, r.entity, r.entity_id) for r in rows] == [("a1", "case", str(case_id))]
    detail = json.loads(rows[0].detail)
    assert detail == {"field": "mobile", "shown": "138****5678", "contact_id": mobile}
    assert rows[0].at == clock.now.isoformat()
    assert "13812345678" not in rows[0].detail


def test_legal_may_reveal_the_id_number_and_agents_may_not(
    client: TestClient, world: World
) -> None:
    case_id = world.ids["c1"]
    token = login(client, "a1")
    body = {"field": "id_number"}
    agent = client.post(f"/api/cases/{case_id}/reveal", json=body, headers={"X-CSRF-Token": token})
    assert agent.status_code == 403
    client.cookies.clear()
    token = login(client, "legal")
    legal = client.post(f"/api/cases/{case_id}/reveal", json=body, headers={"X-CSRF-Token": token})
    assert legal.json() == {"field": "id_number", "value": "11010519491231002X"}


def test_a_script_in_a_debtor_name_is_shown_as_text(client: TestClient, world: World) -> None:
    login(client, "a1")
    for path in ("/queue", f"/cases/{world.ids['c1b']}"):
        page = client.get(path).text
        assert XSS_NAME not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script-src 'self'" in client.get("/queue").headers["content-security-policy"]


def test_language_follows_the_browser_then_the_switch(client: TestClient) -> None:
    assert "登录" in client.get("/login").text
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in english.text
    assert '<html lang="en">' in english.text
    switched = client.get("/lang/en?next=/login", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    assert "Sign in" in client.get("/login").text
    # The chosen language wins over the browser's.
    client.get("/lang/zh?next=//evil.example", follow_redirects=False)
    assert "登录" in client.get("/login", headers={"Accept-Language": "en"}).text
    assert (
        client.get("/lang/zh?next=//evil.example", follow_redirects=False).headers["location"]
        == "/"
    )


def test_error_pages_speak_the_users_language(client: TestClient, world: World) -> None:
    login(client, "a1")
    client.get("/lang/en")
    missing = client.get(f"/cases/{world.ids['c3']}")
    assert missing.status_code == 404
    assert "outside what you may see" in missing.text
    assert "Traceback" not in missing.text
    assert client.get("/no-such-page").status_code == 404


def test_catalogues_have_the_same_keys_and_every_template_key_exists() -> None:
    assert set(CATALOGUES["zh"]) == set(CATALOGUES["en"])
    assert doctest.testmod(i18n).failed == 0


def test_the_case_page_on_each_database(engine: Engine, cipher: FieldCipher) -> None:
    world = build_world(engine, cipher)
    app = make_app(world, cipher, FakeClock())
    with TestClient(app) as client:
        login(client, "a1")
        page = client.get(f"/cases/{world.ids['c1']}")
        assert page.status_code == 200
        assert "CN-QUIET-HOURS" in page.text
        queue = client.get("/api/queue").json()
        assert [row["case_id"] for row in queue["rows"]] == [world.ids["c1"], world.ids["c1b"]]
        assert client.get(f"/cases/{world.ids['c3']}").status_code == 404


def test_the_work_list_is_for_the_last_day_the_cycle_ran(
    world: World, cipher: FieldCipher, clock: FakeClock
) -> None:
    from huikuan.cycle.models import DayCycle

    with transaction(world.engine) as session:
        session.add(DayCycle(business_date=date(2026, 11, 19), strategy="CN-DEFAULT@1", summary={}))
        session.add(DayCycle(business_date=date(2026, 11, 25), strategy="CN-DEFAULT@1", summary={}))
    with TestClient(make_app(world, cipher, clock)) as fresh:
        login(fresh, "a1")
        # The cycle ran on the 19th (the 25th is still ahead of today, the 20th).
        assert fresh.get("/api/queue").json()["business_date"] == "2026-11-19"
