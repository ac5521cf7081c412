"""Fixtures of the operations tests: the web tests' small world (re-exported from
``tests.web.conftest``) plus an admin, and the push endpoints' secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huikuan.db.engine import transaction
from huikuan.org.models import User
from huikuan.settings import Settings
from huikuan.web.areas.hooks import hook_settings
from tests.web import conftest as web
from tests.web.conftest import FAST_HASHER, PASSWORD, World

# The web tests' fixtures, visible in this folder too.
sqlite_engine = web.sqlite_engine
clock = web.clock
world = web.world
app = web.app
client = web.client

WEBHOOK_TOKEN = "kannel-shared-secret-0123456789"
TWILIO_AUTH_TOKEN = "twilio-auth-token-abcdef0123456789"


def hook_test_settings() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        sms_provider="twilio",
        sms_access_key_secret=TWILIO_AUTH_TOKEN,
        sms_webhook_token=WEBHOOK_TOKEN,
    )


@pytest.fixture
def hooks_app(app: FastAPI) -> FastAPI:
    app.dependency_overrides[hook_settings] = hook_test_settings
    return app


@pytest.fixture
def hooks_client(hooks_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(hooks_app, base_url="http://testserver") as made:
        yield made


def add_admin(world: World) -> str:
    """An active admin in ``world`` (the web tests' world has none); returns the username."""
    with transaction(world.engine) as session:
        user = User(
            username="root",
            display_name="管理员",
            role="admin",
            password_hash=FAST_HASHER.hash(PASSWORD),
        )
        session.add(user)
        session.flush()
        world.ids["root"] = user.id
    return "root"


@pytest.fixture
def admin(world: World) -> str:
    return add_admin(world)
