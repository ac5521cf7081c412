"""The web tests' small world (``tests.web.conftest``) plus an admin, and an app whose bearer
hook is the creditor API's token authenticator on the same fake clock.

``token`` is a live API token of creditor BANKA carrying every scope. ``browser_a`` /
``browser_b`` are two TestClients against one app: two machines, one of which may hold a copy
of the other's cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from huikuan.access.policy import principal_for
from huikuan.db.engine import make_engine, transaction
from huikuan.org.models import Creditor, User
from huikuan.portal.tokens import SCOPES, authenticator, issue_token
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import FAST_HASHER, PASSWORD, FakeClock, World, build_world, make_app
from tests.web.live import live_server


def sessions_world(engine: Engine, cipher: FieldCipher) -> World:
    world = build_world(engine, cipher)
    with transaction(engine) as s:
        admin = User(
            username="admin",
            display_name="用户 admin",
            role="admin",
            password_hash=FAST_HASHER.hash(PASSWORD),
        )
        s.add(admin)
        s.flush()
        world.ids["admin"] = admin.id
        world.ids["bank"] = s.scalars(select(Creditor.id).where(Creditor.code == "BANKA")).one()
    return world


def sessions_app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return make_app(world, cipher, clock, bearer_authenticator=authenticator(clock))


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'sessions.db'}")
    yield made
    made.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:
    return sessions_world(sqlite_engine, cipher)


@pytest.fixture
def app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return sessions_app(world, cipher, clock)


@pytest.fixture
def browser_a(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


@pytest.fixture
def browser_b(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


@pytest.fixture
def token(world: World, clock: FakeClock) -> str:
    with transaction(world.engine) as s:
        issued = issue_token(
            s,
            principal_for(s, "admin"),
            creditor_id=world.ids["bank"],
            name="bank core",
            scopes=SCOPES,
            expires_at=clock() + timedelta(days=30),
            now=clock(),
        )
    return issued.secret


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url
