"""Fixtures for the legal screens: the web tests' small world (``tests/web/conftest.py``) plus a
postal address for every debtor, a law firm, a legal user of agency X, a queued ``legal``
strategy action for ``c3``, and a uvicorn server on 127.0.0.1 for the browser test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from huikuan.accounts.models import Account, ContactPoint
from huikuan.cycle.models import StrategyAction
from huikuan.db.engine import transaction
from huikuan.legal.models import LawFirm
from huikuan.org.models import Agency, User
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import (  # noqa: F401 - fixtures, re-exported for this folder
    FAST_HASHER,
    PASSWORD,
    START,
    TODAY,
    FakeClock,
    World,
    app,
    client,
    clock,
    sqlite_engine,
)
from tests.web.conftest import build_world as build_web_world
from tests.web.live import live_server

ADDRESS = "上海市浦东新区示例路 88 号 801 室"
DEBTOR_NAME = "王小明"  # every debtor of the web world has this name (encrypted)
FIRM = "明理律师事务所"


def add_legal_data(world: World, cipher: FieldCipher) -> World:
    ids = world.ids
    with transaction(world.engine) as s:
        for name in ("c1", "c1b", "c3", "c2", "c4"):
            point = ContactPoint(
                debtor_id=ids[f"{name}_debtor"],
                kind="address",
                owner_type="self",
                value_enc=cipher.encrypt(ADDRESS, context="contact.value"),
                value_hash=cipher.search_hash(ADDRESS, kind="address"),
                value_masked="上海市浦东新区****",
                data_source="contract",
                created_on=date(2026, 11, 1),
            )
            s.add(point)
            s.flush()
            ids[f"{name}_address"] = point.id
        firm = LawFirm(
            name=FIRM,
            address="北京市朝阳区建国路 1 号",
            phone="010-5555 0100",
            lawyer="李明",
            licence_number="11101202610000001",
            active=True,
        )
        agency_id = s.scalar(select(Agency.id).where(Agency.code == "X"))
        xlegal = User(
            username="xlegal",
            display_name="用户 xlegal",
            role="legal",
            agency_id=agency_id,
            password_hash=FAST_HASHER.hash(PASSWORD),
        )
        s.add_all([firm, xlegal])
        s.flush()
        ids["firm"] = firm.id
        ids["xlegal"] = xlegal.id
        account_id = s.scalar(select(Account.id).where(Account.account_no == "ACC-c3-1"))
        assert account_id is not None
        action = StrategyAction(
            action_key="legal-c3-2026-11-19",
            as_of=date(2026, 11, 19),
            strategy_code="STD",
            strategy_version=1,
            account_id=account_id,
            case_id=ids["c3"],
            segment="M3",
            treatment="legal",
            arm="champion",
            step=1,
            channel="legal",
            template=None,
            template_version=None,
            priority=10,
            reason="dpd_over_60",
            status="queued",
            rule_ids=[],
        )
        s.add(action)
        s.flush()
        ids["action_c3"] = action.id
        for name in ("c1", "c3", "c4"):
            ids[f"{name}_account"] = int(
                s.scalar(select(Account.id).where(Account.account_no == f"ACC-{name}-1")) or 0
            )
    return world


def build_world(engine: Engine, cipher: FieldCipher) -> World:
    return add_legal_data(build_web_world(engine, cipher), cipher)


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:  # noqa: F811
    return build_world(sqlite_engine, cipher)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:  # noqa: F811
    with live_server(app) as url:
        yield url


__all__ = ["START", "TODAY", "FakeClock"]
