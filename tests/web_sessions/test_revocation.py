"""A copied session cookie stops working the moment its session ends: sign-out, an admin's or
the owner's revocation, deactivation, a password change; and stays refused after the app
restarts, because the state is in the database, not in the cookie."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from huikuan.access.policy import principal_for
from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.org.models import User
from huikuan.security.crypto import FieldCipher
from huikuan.web.auth import (
    SESSION_COOKIE,
    TOUCH_EVERY,
    SessionCodec,
    WebSession,
    change_password,
    session_key,
    set_user_active,
)
from huikuan.web.models import StaffSession
from tests.web.conftest import FAST_HASHER, FakeClock, World, csrf_of, login
from tests.web_sessions.conftest import sessions_app, sessions_world


def steal(owner: TestClient, thief: TestClient) -> None:
    """The thief's browser gets a copy of the owner's session cookie."""
    thief.cookies.clear()
    thief.cookies.set(SESSION_COOKIE, owner.cookies[SESSION_COOKIE])


def signed_in(client: TestClient) -> bool:
    return client.get("/api/me").status_code == 200


def actions(engine: Engine) -> list[str]:
    with transaction(engine) as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.seq)))


def rows(engine: Engine) -> list[StaffSession]:
    with transaction(engine) as s:
        return list(s.scalars(select(StaffSession).order_by(StaffSession.created_at)))


def restarted(world: World, cipher: FieldCipher, clock: FakeClock, cookie: str) -> TestClient:
    """A fresh app object over the same database, with the copied cookie."""
    fresh = TestClient(sessions_app(world, cipher, clock), base_url="http://testserver")
    fresh.cookies.set(SESSION_COOKIE, cookie)
    return fresh


def test_a_copied_cookie_dies_at_sign_out_even_after_a_restart(
    engine: Engine, cipher: FieldCipher, clock: FakeClock
) -> None:
    # Both backends: the row's check and its side writes go through each dialect.
    world = sessions_world(engine, cipher)
    app = sessions_app(world, cipher, clock)
    with TestClient(app) as owner, TestClient(app) as thief:
        csrf = login(owner, "a1")
        cookie = owner.cookies[SESSION_COOKIE]
        steal(owner, thief)
        assert signed_in(thief)
        clock.advance(minutes=5)
        assert signed_in(thief)  # the thief's use keeps the session alive, as the owner's would
        out = owner.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        assert thief.get("/api/me").status_code == 401
        assert thief.get("/queue", follow_redirects=False).headers["location"].startswith("/login")
    with restarted(world, cipher, clock, cookie) as fresh:
        assert not signed_in(fresh)
    [row] = rows(world.engine)
    assert (row.ended_by, row.end_reason) == ("a1", "logout")
    assert actions(world.engine)[-2:] == ["auth.login", "auth.logout"]


def test_an_admin_ends_a_session_and_its_copy_is_refused(
    browser_a: TestClient,
    browser_b: TestClient,
    world: World,
    cipher: FieldCipher,
    clock: FakeClock,
) -> None:
    login(browser_a, "a1")
    cookie = browser_a.cookies[SESSION_COOKIE]
    with TestClient(browser_a.app) as admin:
        csrf = login(admin, "admin")
        listed = admin.get("/api/sessions", params={"user": "a1"})
        assert listed.status_code == 200
        [seen] = listed.json()
        assert seen["username"] == "a1"
        assert seen["current"] is False
        assert cookie not in str(listed.json())
        steal(browser_a, browser_b)
        assert signed_in(browser_b)
        refused = admin.post(f"/api/sessions/{seen['id']}/end")
        assert refused.status_code == 403  # no CSRF token
        assert signed_in(browser_b)
        ended = admin.post(f"/api/sessions/{seen['id']}/end", headers={"X-CSRF-Token": csrf})
        assert ended.status_code == 200
        assert ended.json()["end_reason"] == "revoked"
        assert admin.get("/api/sessions", params={"user": "a1"}).json() == []
        assert signed_in(admin)
    assert not signed_in(browser_b)
    assert not signed_in(browser_a)
    with restarted(world, cipher, clock, cookie) as fresh:
        assert not signed_in(fresh)
    assert "auth.session_ended" in actions(world.engine)


def test_a_user_ends_their_other_session_from_the_page(
    browser_a: TestClient, browser_b: TestClient
) -> None:
    login(browser_b, "a1")  # the other device (or the thief who signed in with a password)
    login(browser_a, "a1")
    page = browser_a.get("/sessions")
    assert page.status_code == 200
    assert page.text.count('action="/sessions/') == 3  # two sessions + "everywhere else"
    assert "当前会话" in page.text
    other = [v for v in browser_a.get("/api/sessions").json() if not v["current"]]
    assert len(other) == 1
    form = {"csrf_token": csrf_of(page.text)}
    ended = browser_a.post(f"/sessions/{other[0]['id']}/end", data=form, follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"] == "/sessions"
    assert not signed_in(browser_b)
    assert signed_in(browser_a)


def test_sign_out_everywhere_else_keeps_only_this_session(
    browser_a: TestClient, browser_b: TestClient, world: World
) -> None:
    login(browser_b, "a1")
    csrf = login(browser_a, "a1")
    done = browser_a.post("/api/sessions/users/a1/end", headers={"X-CSRF-Token": csrf})
    assert done.json() == {"username": "a1", "ended": 1}
    assert not signed_in(browser_b)
    assert signed_in(browser_a)


def test_deactivation_ends_every_session_of_the_user(
    browser_a: TestClient, browser_b: TestClient, world: World, clock: FakeClock
) -> None:
    login(browser_a, "a1")
    steal(browser_a, browser_b)
    login(TestClient(browser_a.app), "a1")  # a second device
    with transaction(world.engine) as s:
        ended = set_user_active(
            s, browser_a.app.state.config, principal_for(s, "admin"), "a1", False
        )
    assert ended == 2
    assert not signed_in(browser_b)
    assert not signed_in(browser_a)
    assert {(r.end_reason, r.ended_by) for r in rows(world.engine)} == {("deactivated", "admin")}
    assert actions(world.engine)[-2:] == ["auth.sessions_ended", "user.deactivated"]
    # Reactivated, the old cookie stays dead: only a new sign-in starts a session.
    with transaction(world.engine) as s:
        set_user_active(s, browser_a.app.state.config, principal_for(s, "admin"), "a1", True)
    assert not signed_in(browser_b)
    login(browser_a, "a1")
    assert signed_in(browser_a)


def test_deactivation_by_any_other_path_also_ends_the_session(
    browser_a: TestClient, browser_b: TestClient, world: World
) -> None:
    login(browser_a, "a1")
    steal(browser_a, browser_b)
    with transaction(world.engine) as s:
        s.scalars(select(User).where(User.username == "a1")).one().active = False
    assert not signed_in(browser_b)
    [row] = rows(world.engine)
    assert (row.ended_by, row.end_reason) == ("system", "deactivated")
    with transaction(world.engine) as s:
        s.scalars(select(User).where(User.username == "a1")).one().active = True
    assert not signed_in(browser_a)  # ended stays ended


def test_a_password_change_ends_the_other_sessions_but_not_the_changers(
    browser_a: TestClient, browser_b: TestClient, world: World
) -> None:
    login(browser_b, "a1")
    login(browser_a, "a1")
    current = _sid_of(browser_a)
    config = browser_a.app.state.config
    with transaction(world.engine) as s:
        a1 = principal_for(s, "a1")
        with pytest.raises(ValueError, match="10 to 1000"):
            change_password(s, config, a1, "a1", "short", hasher=FAST_HASHER)
        ended = change_password(
            s, config, a1, "a1", "a much longer secret", hasher=FAST_HASHER, current_sid=current
        )
    assert ended == 1
    assert signed_in(browser_a)
    assert not signed_in(browser_b)
    assert "auth.password_changed" in actions(world.engine)
    # An agent may not change someone else's password.
    with transaction(world.engine) as s, pytest.raises(Exception, match="403"):
        change_password(
            s, config, principal_for(s, "a2"), "a1", "another long secret", hasher=FAST_HASHER
        )


def test_a_password_set_by_any_other_path_ends_the_sessions_too(
    browser_a: TestClient, browser_b: TestClient, world: World
) -> None:
    login(browser_a, "a1")
    steal(browser_a, browser_b)
    with transaction(world.engine) as s:
        user = s.scalars(select(User).where(User.username == "a1")).one()
        user.password_hash = FAST_HASHER.hash("set by a script")
    assert not signed_in(browser_b)
    assert not signed_in(browser_a)
    assert rows(world.engine)[0].end_reason == "password"


def _session_of(client: TestClient) -> WebSession:
    """What a client's signed cookie holds (read with the app's own codec and clock)."""
    codec = SessionCodec(client.app.state.config)  # type: ignore[attr-defined]
    web = codec.loads(client.cookies[SESSION_COOKIE])
    assert web is not None
    return web


def _sid_of(client: TestClient) -> str:
    return _session_of(client).sid


def test_the_row_is_keyed_by_a_hash_and_touched_at_most_once_a_minute(
    browser_a: TestClient, world: World, clock: FakeClock
) -> None:
    browser_a.get("/login")
    assert rows(world.engine) == []  # anonymous sessions have no row
    assert browser_a.get("/d/nonexistent-link-token").status_code in (200, 404)
    assert rows(world.engine) == []
    long_agent = "Mozilla/5.0 " + "x" * 400
    browser_a.headers["user-agent"] = long_agent
    login(browser_a, "a1")
    sid = _sid_of(browser_a)
    [row] = rows(world.engine)
    assert row.id == session_key(browser_a.app.state.config, sid)  # type: ignore[attr-defined]
    assert sid not in row.id
    assert row.user_agent == long_agent[:200]
    assert "testclient" not in row.client_hash
    assert len(row.client_hash) == 64
    started = rows(world.engine)[0].last_seen_at
    clock.advance(seconds=30)
    assert signed_in(browser_a)
    assert rows(world.engine)[0].last_seen_at == started  # no write within the minute
    clock.advance(seconds=TOUCH_EVERY.total_seconds())
    assert signed_in(browser_a)
    assert rows(world.engine)[0].last_seen_at > started


def test_an_idle_or_old_session_is_refused_by_its_row(
    browser_a: TestClient, browser_b: TestClient, world: World, clock: FakeClock
) -> None:
    login(browser_a, "a1")
    web = _session_of(browser_a)
    clock.advance(minutes=31)
    # Re-signed now, the cookie alone would pass (as if the cookie's own timestamp were not
    # checked): the row still says idle.
    codec = SessionCodec(browser_a.app.state.config)  # type: ignore[attr-defined]
    browser_b.cookies.set(SESSION_COOKIE, codec.dumps(web))
    assert not signed_in(browser_b)
    assert rows(world.engine)[0].end_reason == "idle"
    login(browser_a, "a1")
    second = _session_of(browser_a)
    for _ in range(49):  # steady use past the 12-hour lifetime
        clock.advance(minutes=15)
        browser_a.get("/api/me")
    assert not signed_in(browser_a)
    # A cookie claiming a later start (the cookie's own check passes) meets the row's.
    younger = WebSession(second.sid, second.username, second.csrf, int(clock().timestamp()))
    browser_b.cookies.set(SESSION_COOKIE, codec.dumps(younger))
    assert not signed_in(browser_b)
    with transaction(world.engine) as s:
        reasons = s.scalars(select(StaffSession.end_reason).order_by(StaffSession.created_at))
        assert list(reasons) == ["idle", "expired"]
    # Old rows of a user go when the user next signs in.
    clock.advance(days=31)
    login(browser_a, "a1")
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(StaffSession)) == 1


def test_refusals_other_users_sessions(browser_a: TestClient, browser_b: TestClient) -> None:
    login(browser_b, "a2")
    other = browser_b.get("/api/sessions").json()[0]["id"]
    csrf = login(browser_a, "a1")
    # Another user's list: admins only.
    assert browser_a.get("/api/sessions", params={"user": "a2"}).status_code == 403
    assert browser_a.get("/sessions", params={"user": "a2"}).status_code == 403
    assert browser_a.get("/api/sessions", params={"user": ""}).status_code == 200
    # Another user's session: reads as not found, and stays live.
    refused = browser_a.post(f"/api/sessions/{other}/end", headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 404
    unknown = browser_a.post(f"/api/sessions/{'0' * 64}/end", headers={"X-CSRF-Token": csrf})
    assert unknown.status_code == 404
    assert (
        browser_a.post("/api/sessions/users/a2/end", headers={"X-CSRF-Token": csrf}).status_code
        == 403
    )
    assert (
        browser_a.post("/api/sessions/not-hex/end", headers={"X-CSRF-Token": csrf}).status_code
        == 422
    )
    assert signed_in(browser_b)
    # Signed out: 401, and the page sends to the sign-in.
    browser_a.cookies.clear()
    assert browser_a.get("/api/sessions").status_code == 401
    assert browser_a.get("/sessions", follow_redirects=False).status_code == 303


def test_an_admin_lists_everyone_and_ends_all_of_a_user(
    browser_a: TestClient, browser_b: TestClient, world: World
) -> None:
    login(browser_b, "a2")
    csrf = login(browser_a, "admin")
    everyone = browser_a.get("/api/sessions", params={"user": ""}).json()
    assert sorted(v["username"] for v in everyone) == ["a2", "admin"]
    page = browser_a.get("/sessions", params={"user": "a2"})
    assert "a2" in page.text
    assert 'data-testid="end-all"' in page.text
    done = browser_a.post(
        "/sessions/users/a2/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert not signed_in(browser_b)
    assert browser_a.get("/api/sessions", params={"user": "a2"}).json() == []
    browser_a.cookies.set("lang", "en")
    english = browser_a.get("/sessions")
    assert "Signed-in sessions" in english.text


def test_ending_ones_own_current_session_signs_this_browser_out(
    browser_a: TestClient,
) -> None:
    csrf = login(browser_a, "a1")
    [mine] = browser_a.get("/api/sessions").json()
    assert mine["current"] is True
    out = browser_a.post(
        f"/sessions/{mine['id']}/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert out.headers["location"] == "/login"
    assert not signed_in(browser_a)
