"""API tokens: issued by admins and in-house managers, shown once, stored as a SHA-256 hash;
refused when revoked, expired, unknown or used outside their scopes."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.portal.models import ApiToken
from tests.web.conftest import FakeClock, World, csrf_of, login

PAYMENTS = "账号,还款金额,还款日期,交易流水号\nACC-c1-1,100.00,2026-11-19,TOKEN-PAY-1\n"


def issue(client: TestClient, world: World, scopes: list[str], days: int = 30) -> str:
    csrf = login(client, "mgr")
    response = client.post(
        "/api/client/tokens",
        json={
            "creditor_id": world.ids["bank"],
            "name": "bank core system",
            "scopes": scopes,
            "expires_in_days": days,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "active"
    assert body["scopes"] == sorted(scopes)
    token: str = body["token"]
    client.cookies.clear()  # the API client below carries only the token
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_stored_as_its_hash_and_never_in_full(client: TestClient, world: World) -> None:
    token = issue(client, world, ["payments"])
    assert token.startswith("hk_")
    assert len(token) >= 43
    with transaction(world.engine) as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
        assert not any(token in value for value in stored)
        audit = [f"{a.action} {a.detail}" for a in s.scalars(select(AuditLog))]
    assert any(entry.startswith("api_token.issued") for entry in audit)
    assert not any(token in entry for entry in audit)
    login(client, "mgr")
    listed = client.get("/api/client/tokens").json()
    assert [t["prefix"] for t in listed] == [token[:10]]
    assert "token" not in listed[0]
    assert token not in client.get("/client/tokens").text


def test_a_token_reads_and_uploads_for_its_creditor(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    token = issue(client, world, ["payments"])
    placements = client.get("/api/client/placements", headers=bearer(token))
    assert placements.status_code == 200
    assert sorted(p["batch_no"] for p in placements.json()) == ["pa", "pax"]
    upload = client.post(
        "/api/client/payments?file_name=pay.csv",
        content=PAYMENTS.encode(),
        headers={**bearer(token), "Content-Type": "text/csv"},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["status"] == "imported"
    assert upload.json()["written"] == 1
    with transaction(world.engine) as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.last_used_at is not None
    files = client.get("/api/client/files", headers=bearer(token)).json()
    assert [(f["file_name"], f["via"], f["status"]) for f in files] == [
        ("pay.csv", "api", "imported")
    ]


def test_a_token_without_the_scope_is_refused(client: TestClient, world: World) -> None:
    token = issue(client, world, ["payments"])
    response = client.post(
        "/api/client/updates",
        content=b"account_no,principal,as_of\nACC-c1-1,1.00,2026-11-19\n",
        headers={**bearer(token), "Content-Type": "text/csv"},
    )
    assert response.status_code == 403


def test_a_revoked_token_is_refused(client: TestClient, world: World) -> None:
    token = issue(client, world, ["payments"])
    assert client.get("/api/client/placements", headers=bearer(token)).status_code == 200
    csrf = login(client, "admin")
    token_id = client.get("/api/client/tokens").json()[0]["id"]
    revoked = client.post(f"/api/client/tokens/{token_id}/revoke", headers={"X-CSRF-Token": csrf})
    assert revoked.json()["state"] == "revoked"
    client.cookies.clear()
    refused = client.get("/api/client/placements", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_refused(client: TestClient, world: World, clock: FakeClock) -> None:
    token = issue(client, world, ["payments"], days=30)
    clock.advance(days=29, hours=23)
    assert client.get("/api/client/placements", headers=bearer(token)).status_code == 200
    clock.advance(hours=1)
    assert client.get("/api/client/placements", headers=bearer(token)).status_code == 401


def test_unknown_tokens_and_other_roles_are_refused(client: TestClient, world: World) -> None:
    assert client.get("/api/client/placements", headers=bearer("hk_nope")).status_code == 401
    csrf = login(client, "a1")
    body = {"creditor_id": world.ids["bank"], "name": "x", "scopes": ["payments"]}
    denied = client.post("/api/client/tokens", json=body, headers={"X-CSRF-Token": csrf})
    assert denied.status_code == 403
    csrf = login(client, "cli_a")
    denied = client.post("/api/client/tokens", json=body, headers={"X-CSRF-Token": csrf})
    assert denied.status_code == 403
    login(client, "mgr")
    assert client.post("/api/client/tokens", json=body).status_code == 403  # no CSRF token
    csrf = csrf_of(client.get("/client/tokens").text)
    bad = client.post(
        "/api/client/tokens",
        json={**body, "scopes": ["everything"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "scopes"]


def test_the_token_page_issues_shows_once_and_revokes(client: TestClient, world: World) -> None:
    login(client, "admin")
    page = client.get("/client/tokens")
    form = {
        "csrf_token": csrf_of(page.text),
        "creditor_id": str(world.ids["lender"]),
        "name": "lender batch",
        "scopes": ["placements", "recalls"],
        "expires_in_days": "90",
    }
    issued = client.post("/client/tokens", data=form)
    assert issued.status_code == 200
    assert "只显示这一次" in issued.text
    shown = issued.text.split('data-testid="issued-token"')[1].split("<code>")[1].split("<")[0]
    assert shown.startswith("hk_")
    again = client.get("/client/tokens").text
    assert shown not in again
    assert "LENDB" in again
    missing = client.post("/client/tokens", data={**form, "name": " "})
    assert missing.status_code == 422
    assert "请填写令牌名称" in missing.text
    with transaction(world.engine) as s:
        token_id = s.scalars(select(ApiToken.id)).one()
    revoked = client.post(
        f"/client/tokens/{token_id}/revoke",
        data={"csrf_token": form["csrf_token"]},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert "已吊销" in client.get("/client/tokens").text
    assert client.get("/api/client/placements", headers=bearer(shown)).status_code == 401
