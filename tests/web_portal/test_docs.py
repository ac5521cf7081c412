"""The portal's and visits' JSON routes are documented, and the domain doctests hold."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from huikuan.access.policy import principal_for
from huikuan.db.engine import transaction
from huikuan.portal import service as portal_service
from huikuan.portal.tokens import authenticate, issue_token
from huikuan.security.crypto import generate_key, generate_spec
from huikuan.settings import Settings
from huikuan.web import serve
from tests.web.conftest import World


def test_openapi_documents_the_upload_and_visit_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for kind in ("placements", "updates", "payments", "recalls"):
        post = spec["paths"][f"/api/client/{kind}"]["post"]
        assert set(post["requestBody"]["content"]) >= {"multipart/form-data", "text/csv"}
        assert "422" in post["responses"]
    for path in ("/api/client/tokens", "/api/visits", "/api/visits/{visit_id}/check-in"):
        assert path in spec["paths"]


def test_the_served_app_takes_creditor_tokens(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``huikuan web serve``'s app resolves bearer tokens with the portal's authenticator."""
    monkeypatch.setenv(serve.SECRET_ENV, "s" * 48)
    url = world.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, data_keys=generate_spec("t1"), search_key=generate_key())
    app, _ = serve.build_app(settings)
    assert app.state.bearer_authenticator is authenticate
    with transaction(world.engine) as s:
        manager = principal_for(s, "mgr")
        issued = issue_token(
            s,
            manager,
            creditor_id=world.ids["lender"],
            name="lender system",
            scopes=["payments"],
            expires_at=datetime.now(UTC) + timedelta(days=7),
            now=datetime.now(UTC),
        )
    with TestClient(app) as served:
        answer = served.get(
            "/api/client/placements", headers={"Authorization": f"Bearer {issued.secret}"}
        )
        assert answer.status_code == 200
        assert [row["batch_no"] for row in answer.json()] == ["pb"]
        refused = served.get("/api/client/placements", headers={"Authorization": "Bearer hk_x"})
        assert refused.status_code == 401


def test_domain_doctests() -> None:
    assert doctest.testmod(portal_service).failed == 0
