"""Health, metrics, the OpenAPI document, the schema migration and the demo sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from huikuan.db.engine import transaction
from huikuan.db.migrate import downgrade, head_revision, upgrade
from huikuan.db.registry import metadata
from huikuan.dispatch.models import OutboxMessage
from huikuan.org.models import Role, User
from huikuan.security.crypto import FieldCipher
from huikuan.web import models as web_models
from huikuan.web.demo_users import seed_demo_users
from tests.web.conftest import FAST_HASHER, FakeClock, World, login, make_app


def test_healthz_answers_once_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_requests_by_route_template_and_the_outbox_by_status(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    with transaction(world.engine) as session:
        for number, status in enumerate(("pending", "pending", "sent")):
            session.add(
                OutboxMessage(
                    send_key=f"k{number}",
                    channel="sms",
                    sender="s",
                    recipient="token",
                    body="b",
                    created_at=clock.now,
                    not_before=clock.now,
                    next_attempt_at=datetime(2026, 11, 20, 0, 30, tzinfo=UTC),
                    status=status,
                )
            )
    login(client, "a1")
    for case in ("c1", "c1b", "c3"):
        client.get(f"/cases/{world.ids[case]}")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    requests = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["huikuan_http_requests"].samples
        if s.name == "huikuan_http_requests_total"
    }
    assert requests[("/cases/{case_id}", "200")] == 2
    assert requests[("/cases/{case_id}", "404")] == 1
    assert not any(str(world.ids["c1"]) in route for route, _ in requests)
    latency = families["huikuan_http_request_duration_seconds"]
    counts = [
        s.value
        for s in latency.samples
        if s.name.endswith("_count") and s.labels["route"] == "/cases/{case_id}"
    ]
    assert sorted(counts) == [1, 2]
    depth = {s.labels["status"]: s.value for s in families["huikuan_outbox_messages"].samples}
    assert depth["pending"] == 2
    assert depth["sent"] == 1
    assert depth["failed"] == 0
    lag = families["huikuan_outbox_lag_seconds"].samples[0].value
    assert lag == 30 * 60  # oldest due message waits since 00:30, the clock says 01:00


def test_openapi_document_covers_the_api_and_docs_load_locally(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= {
        "/api/me",
        "/api/queue",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/reveal",
    }
    assert "post" in document["paths"]["/api/cases/{case_id}/reveal"]
    for name in ("CaseRead", "QueueRead", "MeRead", "RevealCreate", "RevealRead"):
        assert name in document["components"]["schemas"]
    docs = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/vendor/htmx.min.js",
        "/static/app.css",
    ):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/api/me").status_code == 401


def test_migration_matches_the_models_and_downgrades(sqlite_engine: Engine) -> None:
    assert web_models.LoginFailure.__table__.name in metadata.tables
    upgrade(sqlite_engine)
    with sqlite_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert downgrade(sqlite_engine, "0009") == "0009"
    assert upgrade(sqlite_engine) == head_revision(sqlite_engine)


def test_demo_users_get_one_sign_in_per_role_and_seeding_twice_changes_nothing(
    world: World, cipher: FieldCipher, clock: FakeClock
) -> None:
    with transaction(world.engine) as session:
        first = seed_demo_users(session, hasher=FAST_HASHER)
        hashes = dict(session.execute(select(User.username, User.password_hash)).all())
    assert [role for _, role, _ in first] == [role.value for role in Role]
    users = {role: (username, password) for username, role, password in first}
    assert users["agent"] == ("a1", "huikuan-agent")  # the in-house agent holding the most cases
    assert users["admin"][0] == "admin01"  # no admin in the world: one was created
    with transaction(world.engine) as session:
        again = seed_demo_users(session, hasher=FAST_HASHER)
        assert dict(session.execute(select(User.username, User.password_hash)).all()) == hashes
    assert again == first
    app = make_app(world, cipher, clock)
    with TestClient(app) as client:
        login(client, *users["agent"])
        assert client.get("/api/me").json()["role"] == "agent"
