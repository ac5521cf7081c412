"""The web tests' small world (``tests.web.conftest``) plus what the portal and visits need.

Added here: a client user of the second creditor (``cli_b``), an admin, the debtor of ``c1``'s
own home address (for field visits), and an app whose bearer hook is the portal's token
authenticator reading the same fake clock. The browser fixture starts uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint
from huikuan.db.engine import make_engine, transaction
from huikuan.org.models import Creditor, User
from huikuan.portal.tokens import authenticator
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import FAST_HASHER, PASSWORD, FakeClock, World, build_world, make_app
from tests.web.live import live_server

ADDRESS = "北京市朝阳区建国路88号3单元502"


def portal_world(engine: Engine, cipher: FieldCipher) -> World:
    world = build_world(engine, cipher)
    with transaction(engine) as s:
        lender = s.scalars(select(Creditor).where(Creditor.code == "LENDB")).one()
        secret = FAST_HASHER.hash(PASSWORD)
        extra = {
            "cli_b": User(
                username="cli_b",
                display_name="用户 cli_b",
                role="creditor_client",
                creditor_id=lender.id,
                password_hash=secret,
            ),
            "admin": User(
                username="admin", display_name="用户 admin", role="admin", password_hash=secret
            ),
        }
        s.add_all(extra.values())
        home = ContactPoint(
            debtor_id=world.ids["c1_debtor"],
            kind="address",
            owner_type="self",
            value_enc=cipher.encrypt(ADDRESS, context="contact.value"),
            value_hash=cipher.search_hash(ADDRESS, kind="address"),
            value_masked="北京市朝****",
            data_source="contract",
            created_on=date(2026, 11, 1),
        )
        s.add(home)
        s.flush()
        world.ids |= {name: user.id for name, user in extra.items()}
        world.ids["c1_address"] = home.id
        world.ids["bank"] = s.scalars(select(Creditor.id).where(Creditor.code == "BANKA")).one()
        world.ids["lender"] = lender.id
    return world


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    yield made
    made.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:
    return portal_world(sqlite_engine, cipher)


def portal_app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return make_app(world, cipher, clock, bearer_authenticator=authenticator(clock))


@pytest.fixture
def app(world: World, cipher: FieldCipher, clock: FakeClock) -> FastAPI:
    return portal_app(world, cipher, clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser (its own cookies) against the same app."""
    with TestClient(app, base_url="http://testserver") as made:
        yield made


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url
