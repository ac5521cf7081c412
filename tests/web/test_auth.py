"""Signing in, sessions, throttling and CSRF, tried from the wrong side as well as the right one."""

from __future__ import annotations

import doctest

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.org.models import User
from huikuan.security.crypto import FieldCipher
from huikuan.web import auth
from huikuan.web.auth import SESSION_COOKIE, SessionCodec, WebSession
from huikuan.web.deps import WebConfig
from tests.web.conftest import PASSWORD, START, FakeClock, World, csrf_of, login, make_app


def post_login(client: TestClient, username: str, password: str) -> tuple[int, str]:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    return response.status_code, response.text


def test_login_starts_a_new_session_with_safe_cookie_flags(client: TestClient) -> None:
    anonymous = client.get("/login")
    before_cookie = client.cookies[SESSION_COOKIE]
    before_csrf = csrf_of(anonymous.text)
    response = client.post(
        "/login",
        data={"username": "a1", "password": PASSWORD, "csrf_token": before_csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert not any(flag.startswith(("max-age", "expires")) for flag in flags)
    # No session fixation: new cookie, new CSRF token once signed in.
    assert client.cookies[SESSION_COOKIE] != before_cookie
    assert csrf_of(client.get("/home").text) != before_csrf
    assert client.get("/", follow_redirects=False).headers["location"] == "/queue"
    with transaction(client.app.state.engine) as session:  # type: ignore[attr-defined]
        actions = session.scalars(select(AuditLog.action).where(AuditLog.actor == "a1")).all()
    assert actions == ["auth.login"]


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    wrong = post_login(client, "a1", "nope")
    unknown = post_login(client, "nobody", "nope")
    assert wrong[0] == unknown[0] == 401
    assert "用户名或密码错误" in wrong[1]
    assert "用户名或密码错误" in unknown[1]
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_five_failures_lock_the_username_for_fifteen_minutes(
    client: TestClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert post_login(client, "a1", "wrong")[0] == 401
        clock.advance(minutes=1)
    status, page = post_login(client, "a1", PASSWORD)
    assert status == 429
    assert "15 分钟" in page
    # An unknown username locks the same way and says the same thing.
    for _ in range(5):
        post_login(client, "ghost", "wrong")
    ghost = post_login(client, "ghost", "wrong")
    assert ghost[0] == 429
    assert "15 分钟" in ghost[1]
    # Other users are not affected by a1's lock.
    assert post_login(client, "a2", PASSWORD)[0] == 303
    clock.advance(minutes=13)  # 14 minutes after the fifth failure: still locked
    assert post_login(client, "a1", PASSWORD)[0] == 429
    clock.advance(minutes=2)
    assert post_login(client, "a1", PASSWORD)[0] == 303


def test_twenty_failures_from_one_address_lock_every_username(
    client: TestClient, clock: FakeClock
) -> None:
    for number in range(20):
        assert post_login(client, f"guess{number}", "wrong")[0] == 401
    assert post_login(client, "a2", PASSWORD)[0] == 429
    clock.advance(minutes=16)
    assert post_login(client, "a2", PASSWORD)[0] == 303


def test_an_idle_session_expires_and_an_active_one_slides(
    client: TestClient, clock: FakeClock
) -> None:
    login(client, "a1")
    for _ in range(3):  # 60 minutes in total, never 30 idle
        clock.advance(minutes=20)
        assert client.get("/queue", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    response = client.get("/queue?offset=0", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fqueue%3Foffset%3D0"


def test_sessions_end_after_the_absolute_lifetime(client: TestClient, clock: FakeClock) -> None:
    login(client, "a1")
    for _ in range(49):  # 12 h 15 min of steady use
        clock.advance(minutes=15)
        client.get("/home", follow_redirects=False)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_logout_needs_csrf_and_ends_the_session(client: TestClient) -> None:
    token = login(client, "a1")
    assert client.post("/logout", follow_redirects=False).status_code == 403
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_a_deactivated_user_is_signed_out(client: TestClient, world: World) -> None:
    login(client, "a1")
    with transaction(world.engine) as session:
        session.scalars(select(User).where(User.username == "a1")).one().active = False
    assert client.get("/queue", follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401


def test_a_forged_or_foreign_cookie_is_no_session(client: TestClient) -> None:
    login(client, "a1")
    value = client.cookies[SESSION_COOKIE]
    assert client.get("/api/me").status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert client.get("/api/me").status_code == 401
    # A session signed with another deployment's key reads as no session either.
    other = SessionCodec(WebConfig(secret_key="another-secret-key-of-32-characters!!"))
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, other.dumps(WebSession.start("a1", START)))
    assert client.get("/api/me").status_code == 401


def test_unsafe_requests_without_the_csrf_token_are_refused(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    case_id = world.ids["c1"]
    form = {"field": "mobile", "contact_id": str(world.ids["c1_mobile"])}
    # HTML form post without the hidden field, and with a wrong one.
    assert client.post(f"/cases/{case_id}/reveal", data=form).status_code == 403
    wrong = form | {"csrf_token": "x" * 43}
    assert client.post(f"/cases/{case_id}/reveal", data=wrong).status_code == 403
    # htmx request with a wrong header.
    htmx = {"HX-Request": "true", "X-CSRF-Token": "forged"}
    assert client.post(f"/cases/{case_id}/reveal", data=form, headers=htmx).status_code == 403
    # JSON API with the cookie but no header.
    body = {"field": "mobile", "contact_id": world.ids["c1_mobile"]}
    refused = client.post(f"/api/cases/{case_id}/reveal", json=body)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF token missing or invalid"}
    # Login itself is protected (login CSRF).
    assert client.post("/login", data={"username": "a1", "password": PASSWORD}).status_code == 403
    # … and with the token every one of them goes through.
    assert client.post(f"/cases/{case_id}/reveal", data=form | {"csrf_token": token}).is_success
    good = {"HX-Request": "true", "X-CSRF-Token": token}
    assert client.post(f"/cases/{case_id}/reveal", data=form, headers=good).is_success
    ok = client.post(f"/api/cases/{case_id}/reveal", json=body, headers={"X-CSRF-Token": token})
    assert ok.json() == {"field": "mobile", "value": "13812345678"}


def test_bearer_tokens_go_through_the_hook_and_skip_csrf(
    world: World, cipher: FieldCipher, clock: FakeClock
) -> None:
    from huikuan.access.policy import principal_for

    def tokens(session: object, token: str) -> object:
        return principal_for(session, "cli_a") if token == "good-token" else None  # type: ignore[arg-type]

    app = make_app(world, cipher, clock, bearer_authenticator=tokens)
    good = {"Authorization": "Bearer good-token"}
    with TestClient(app) as api:
        bad = api.get("/api/client/placements", headers={"Authorization": "Bearer bad"})
        assert bad.status_code == 401
        placements = api.get("/api/client/placements", headers=good)
        assert placements.status_code == 200
        assert SESSION_COOKIE not in placements.headers.get("set-cookie", "")
        # An unsafe request with a token needs no CSRF token (no ambient credential): this one
        # reaches the route, which refuses it for the token's scopes (the hook's token has none).
        sent = api.post(
            "/api/client/payments",
            content=b"account_no,amount\n",
            headers={**good, "Content-Type": "text/csv", "Accept": "application/json"},
        )
        assert sent.status_code == 403
        assert "CSRF" not in sent.text
        # … and a token reaches the creditor API only: never the staff API.
        assert api.get("/api/me", headers=good).status_code == 403
        body = {"field": "mobile", "contact_id": world.ids["c1_mobile"]}
        revealed = api.post(f"/api/cases/{world.ids['c1']}/reveal", json=body, headers=good)
        assert revealed.status_code == 403


def test_without_a_bearer_hook_no_token_is_accepted(client: TestClient) -> None:
    refused = client.get("/api/client/placements", headers={"Authorization": "Bearer anything"})
    assert refused.status_code == 401


@pytest.mark.parametrize("module", [auth])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
