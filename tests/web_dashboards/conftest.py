"""A demo portfolio (300 accounts, four days of the daily cycle up to 2026-11-20) and the web
app over it, for the dashboard tests.

Loaded once per module (SQLite): the dashboards only read. On top of the demo's users, known
passwords for ``manager``, ``admin``, ``lead1``, ``agent11`` and the client ``creditor`` (first
creditor); a client ``cli_b`` of the second creditor; an agency manager ``xmgr`` (agency AG01).
Agent ``agent11``'s display name is an XSS attempt, to prove the JSON data blocks stay inert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from huikuan.db.engine import make_engine, transaction
from huikuan.demo.service import load_demo
from huikuan.org.models import Agency, Creditor, User
from huikuan.security.crypto import FieldCipher
from huikuan.web.app import create_app
from tests.web.conftest import FAST_HASHER, PASSWORD, SECRET, FakeClock, login
from tests.web.live import live_server

AS_OF = date(2026, 11, 20)
START = date(2026, 11, 18)  # the demo places its files on the 17th
PERIOD = {"start": START.isoformat(), "end": AS_OF.isoformat()}
XSS_NAME = "</script><script>alert(1)</script>"
SIGN_INS = ("manager", "admin", "lead1", "agent11", "creditor")


@dataclass
class Demo:
    engine: Engine
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, cipher: FieldCipher) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("dashboards")
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    load_demo(engine, accounts=300, as_of=AS_OF, days=4, cipher=cipher, work_dir=folder)
    found = Demo(engine)
    secret = FAST_HASHER.hash(PASSWORD)
    with transaction(engine) as s:
        s.execute(update(User).where(User.username.in_(SIGN_INS)).values(password_hash=secret))
        s.execute(update(User).where(User.username == "agent11").values(display_name=XSS_NAME))
        creditors = list(s.scalars(select(Creditor).order_by(Creditor.id)))
        agency = s.scalars(select(Agency)).one()
        s.add_all(
            [
                User(
                    username="cli_b",
                    display_name="委托方 B",
                    role="creditor_client",
                    creditor_id=creditors[1].id,
                    password_hash=secret,
                ),
                User(
                    username="xmgr",
                    display_name="委外经理",
                    role="manager",
                    agency_id=agency.id,
                    password_hash=secret,
                ),
            ]
        )
        s.flush()
        found.ids = {u.username: u.id for u in s.scalars(select(User))}
        found.ids |= {"creditor_a": creditors[0].id, "creditor_b": creditors[1].id}
        found.ids["agency"] = agency.id
        lead = s.scalars(select(User).where(User.username == "lead1")).one()
        assert lead.team_id is not None
        found.ids["team1"] = lead.team_id
    yield found
    engine.dispose()


@pytest.fixture(scope="module")
def app(demo: Demo, cipher: FieldCipher) -> FastAPI:
    return create_app(
        demo.engine,
        cipher,
        secret_key=SECRET,
        password_hasher=FAST_HASHER,
        clock=FakeClock(),  # 2026-11-20 09:00 in Shanghai: business date 2026-11-20
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as made:
        yield made


def signed_in(client: TestClient, username: str) -> TestClient:
    login(client, username)
    return client


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


DATA_BLOCK = re.compile(r'<script type="application/json" id="data-([a-z_]+)">(.*?)</script>', re.S)


def data_blocks(html: str) -> dict[str, str]:
    """Each chart's JSON data block by table key (the raw text between the tags)."""
    return dict(DATA_BLOCK.findall(html))
