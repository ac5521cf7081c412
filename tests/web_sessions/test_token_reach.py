"""An API token (a creditor system's credential) reaches the creditor API under /api/client/
and nothing else: every other route of the app, JSON or page, answers 403 whatever the
token's scopes, while the same user's browser session is not affected."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from huikuan.web.auth import BEARER_PREFIX, BEARER_REFUSED
from tests.web.conftest import login

PARAM = re.compile(r"\{[^}]+\}")


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every endpoint, through included routers (FastAPI wraps them since 0.16x)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _calls(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) for every route, path parameters filled with a plausible id."""
    calls = set()
    for route in _api_routes(app.routes):
        path = PARAM.sub("1", route.path)
        for method in route.methods or ():
            if method != "HEAD":
                calls.add((method, path))
    return sorted(calls)


def test_a_token_gets_403_on_every_route_outside_the_creditor_api(
    app: FastAPI, browser_a: TestClient, token: str
) -> None:
    calls = _calls(app)
    inside = [c for c in calls if c[1].startswith(BEARER_PREFIX)]
    outside = [c for c in calls if not c[1].startswith(BEARER_PREFIX)]
    api_outside = [c for c in outside if c[1].startswith("/api/")]
    # The walk really covers the app: staff JSON routes, pages and the creditor API.
    assert len(api_outside) >= 20
    assert ("GET", "/api/me") in api_outside
    assert ("GET", "/api/sessions") in api_outside
    assert ("GET", "/api/client/placements") in inside
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in outside:
        response = browser_a.request(method, path, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert response.json() == {"detail": BEARER_REFUSED}, (method, path)
    for method, path in inside:
        response = browser_a.request(method, path, headers=headers, follow_redirects=False)
        refusal = response.json() if "json" in response.headers.get("content-type", "") else {}
        # Token management is for staff (its own role check may say 403); never the guard.
        assert refusal != {"detail": BEARER_REFUSED}, (method, path)
        if not path.startswith(f"{BEARER_PREFIX}tokens"):
            assert response.status_code != 403, (method, path, response.status_code)
    assert browser_a.get("/api/client/placements", headers=headers).status_code == 200


def test_the_guard_holds_for_unknown_tokens_and_leaves_sessions_alone(
    browser_a: TestClient, token: str
) -> None:
    unknown = {"Authorization": "Bearer hk_not-a-token"}
    assert browser_a.get("/api/me", headers=unknown).status_code == 403
    assert browser_a.get("/api/client/placements", headers=unknown).status_code == 401
    # A token cannot ride along with a session either: the header decides.
    login(browser_a, "cli_a")
    assert browser_a.get("/api/me").status_code == 200
    assert browser_a.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert browser_a.get("/client/placements").status_code == 200
