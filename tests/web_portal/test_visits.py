"""Field visits (外访): planned through the contact guard (two collectors, quiet hours), checked
in and closed by the visit's own collectors, notes screened for banned phrases."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from huikuan.audit.models import AuditLog
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.security.crypto import FieldCipher
from huikuan.visits.models import FieldVisit
from tests.web.conftest import FakeClock, World, csrf_of, login
from tests.web_portal.conftest import ADDRESS, portal_app, portal_world

TEN_AM = "2026-11-20T10:00:00+08:00"
ELEVEN_PM = "2026-11-20T23:00:00+08:00"


def plan(
    client: TestClient, csrf: str, world: World, collectors: list[str], at: str = TEN_AM
) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/visits",
        json={
            "case_id": world.ids["c1"],
            "contact_point_id": world.ids["c1_address"],
            "planned_at": at,
            "collector_ids": [world.ids[name] for name in collectors],
        },
        headers={"X-CSRF-Token": csrf},
    )
    body: dict[str, object] = response.json()
    return response.status_code, body


def rules(body: dict[str, object]) -> set[str]:
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    return {str(r["rule_id"]) for r in reasons}


def test_a_visit_by_two_collectors_is_planned_checked_in_and_closed(
    client: TestClient, other_client: TestClient, world: World, clock: FakeClock
) -> None:
    csrf = login(client, "a1")
    status, body = plan(client, csrf, world, ["a1", "a2"])
    assert status == 201, body
    assert (body["decision"], body["status"]) == ("allowed", "planned")
    assert body["collectors"] == ["a1", "a2"]
    assert body["address_masked"] == "北京市朝****"
    visit_id = body["visit_id"]
    clock.now = datetime(2026, 11, 20, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
    csrf2 = login(other_client, "a2")  # a collector, though the case is in a1's queue
    checked = other_client.post(
        f"/api/visits/{visit_id}/check-in",
        json={"location": ADDRESS, "coordinates": "39.9042,116.4074"},
        headers={"X-CSRF-Token": csrf2},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "checked_in"
    assert checked.json()["location_masked"] == "北京市朝****"
    banned = other_client.post(
        f"/api/visits/{visit_id}/outcome",
        json={"outcome": "refused", "notes": "不还钱就去你单位曝光"},
        headers={"X-CSRF-Token": csrf2},
    )
    assert banned.status_code == 422
    detail = banned.json()["detail"][0]
    assert detail["loc"] == ["body", "notes"]
    assert detail["reasons"][0]["phrase"] == "曝光"
    done = other_client.post(
        f"/api/visits/{visit_id}/outcome",
        json={"outcome": "not_home", "notes": "邻居说白天上班，晚上再电话联系。"},
        headers={"X-CSRF-Token": csrf2},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("done", "not_home")
    with transaction(world.engine) as s:
        visit = s.get(FieldVisit, visit_id)
        assert visit is not None
        assert visit.location_enc is not None
        assert ADDRESS not in visit.location_enc
        attempt = s.get(ContactAttempt, visit.attempt_id)
        assert attempt is not None
        assert (attempt.channel, attempt.decision, attempt.outcome) == (
            "visit",
            "allowed",
            "visit_not_home",
        )
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.seq))]
        details = " ".join(a.detail for a in s.scalars(select(AuditLog)))
    assert [a for a in actions if a.startswith("visit.")] == [
        "visit.planned",
        "visit.checked_in",
        "visit.outcome",
    ]
    assert ADDRESS not in details


def test_a_visit_with_one_collector_is_blocked_by_the_guard(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "a1")
    status, body = plan(client, csrf, world, ["a1"])
    assert status == 201
    assert (body["decision"], body["status"]) == ("blocked", "blocked")
    assert "CN-CBA-2026-VISIT-2" in rules(body)
    page = client.get(f"/visits/{body['visit_id']}").text
    assert "外访须至少2名催收人员" in page
    assert "签到" not in page.split("</h1>", 1)[1].split("<h2>")[0]
    refused = client.post(
        f"/api/visits/{body['visit_id']}/check-in",
        json={"location": "门口"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "not_planned"


def test_a_visit_at_eleven_at_night_is_deferred_to_eight(client: TestClient, world: World) -> None:
    csrf = login(client, "a1")
    _status, body = plan(client, csrf, world, ["a1", "a2"], at=ELEVEN_PM)
    assert (body["decision"], body["status"]) == ("deferred", "deferred")
    assert any("QUIET" in rule for rule in rules(body))
    assert body["next_allowed_at"] == "2026-11-21T00:00:00Z"  # 08:00 in Shanghai


def test_checking_in_during_quiet_hours_is_refused(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    csrf = login(client, "a1")
    _, body = plan(client, csrf, world, ["a1", "a2"])
    clock.now = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    csrf = login(client, "a1")
    late = client.post(
        f"/api/visits/{body['visit_id']}/check-in",
        json={"location": "楼下"},
        headers={"X-CSRF-Token": csrf},
    )
    assert late.status_code == 422
    assert late.json()["detail"][0]["msg"] == "guard"


def test_refusals_scope_role_collectors_and_csrf(client: TestClient, world: World) -> None:
    csrf = login(client, "a1")
    other_agency = plan(client, csrf, world, ["a1", "x1"])
    assert other_agency[0] == 422
    assert other_agency[1]["detail"][0]["loc"] == ["body", "collector_ids"]  # type: ignore[index]
    not_mine = client.post(
        "/api/visits",
        json={
            "case_id": world.ids["c3"],
            "contact_point_id": world.ids["c1_address"],
            "planned_at": TEN_AM,
            "collector_ids": [world.ids["a1"], world.ids["a2"]],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert not_mine.status_code == 404
    mobile = client.post(
        "/api/visits",
        json={
            "case_id": world.ids["c1"],
            "contact_point_id": world.ids["c1_mobile"],
            "planned_at": TEN_AM,
            "collector_ids": [world.ids["a1"], world.ids["a2"]],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert mobile.status_code == 422
    _, body = plan(client, csrf, world, ["a1", "a2"])
    no_csrf = client.post("/api/visits", json={"case_id": world.ids["c1"]})
    assert no_csrf.status_code == 403
    csrf = login(client, "lead")  # sees the case, but is not on the visit
    assert client.get(f"/api/visits/{body['visit_id']}").status_code == 200
    not_collector = client.post(
        f"/api/visits/{body['visit_id']}/check-in",
        json={"location": "门口"},
        headers={"X-CSRF-Token": csrf},
    )
    assert not_collector.status_code == 403
    login(client, "qa")
    assert client.get("/visits").status_code == 403
    assert client.get("/api/visits").status_code == 403
    login(client, "x1")
    assert client.get(f"/api/visits/{body['visit_id']}").status_code == 404


def test_the_pages_plan_a_visit_and_show_the_verdict(client: TestClient, world: World) -> None:
    login(client, "a1")
    page = client.get(f"/visits?case_id={world.ids['c1']}")
    assert page.status_code == 200
    assert "北京市朝****" in page.text
    assert ADDRESS not in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "case_id": str(world.ids["c1"]),
        "contact_point_id": str(world.ids["c1_address"]),
        "planned_at": "2026-11-20T23:00",
        "collector_ids": [str(world.ids["a1"]), str(world.ids["a2"])],
    }
    made = client.post("/visits", data=form, follow_redirects=False)
    assert made.status_code == 303
    shown = client.get(made.headers["location"]).text
    assert "延后" in shown
    assert "2026-11-21 08:00" in shown
    missing = client.post("/visits", data={**form, "collector_ids": []})
    assert missing.status_code == 422
    assert "请选择外访人员" in missing.text
    listed = client.get("/visits").text
    assert 'data-testid="visits"' in listed
    assert "CASE-c1" in listed


def test_planning_and_listing_on_each_database(engine: Engine, cipher: FieldCipher) -> None:
    world = portal_world(engine, cipher)
    with TestClient(portal_app(world, cipher, FakeClock())) as client:
        csrf = login(client, "lead")
        status, body = plan(client, csrf, world, ["a1", "lead"], at=ELEVEN_PM)
        assert (status, body["decision"]) == (201, "deferred")
        listed = client.get("/api/visits").json()
        assert [v["visit_id"] for v in listed] == [body["visit_id"]]
        assert client.get("/visits").status_code == 200
