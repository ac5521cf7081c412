"""The debtor's own page: the staff test world, a recording code sender, a signed-in helper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.links import link_secret, make_link_token
from huikuan.web.areas.debtor import SelfServiceSetup
from tests.web.conftest import (
    SECRET,
    TODAY,
    FakeClock,
    World,
    clock,
    csrf_of,
    make_app,
    sqlite_engine,
    world,
)

__all__ = ["clock", "sqlite_engine", "world"]

DEBTOR_MOBILE = "13812345678"  # every world debtor's own mobile (tests/web/conftest.py)
EMERGENCY_MOBILE = "13900001111"


@dataclass
class Sent:
    channel: str
    address: str
    text: str
    code: str


@dataclass
class Phone:
    """Stands in for the debtor's phone: every code "sent" lands here."""

    messages: list[Sent] = field(default_factory=list)

    def __call__(self, *, channel: str, address: str, text: str, key: str, code: str) -> None:
        self.messages.append(Sent(channel, address, text, code))

    @property
    def last_code(self) -> str:
        assert self.messages, "no code was sent"
        return self.messages[-1].code


def link_for(case_id: int) -> str:
    return make_link_token(link_secret(SECRET), case_id, issued_on=TODAY)


@pytest.fixture
def phone() -> Phone:
    return Phone()


@pytest.fixture
def debtor_app(world: World, cipher: FieldCipher, clock: FakeClock, phone: Phone) -> FastAPI:
    app = make_app(world, cipher, clock)
    app.state.selfservice = SelfServiceSetup(send_code=phone)
    return app


@pytest.fixture
def debtor_client(debtor_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(debtor_app, base_url="http://testserver") as made:
        yield made


def ask_code(client: TestClient, link: str, contact: str = DEBTOR_MOBILE) -> str:
    page = client.get(f"/d/{link}")
    response = client.post(
        f"/d/{link}/code", data={"contact": contact, "csrf_token": csrf_of(page.text)}
    )
    return response.text


def sign_in(client: TestClient, link: str, phone: Phone) -> str:
    """Through the two sign-in steps; returns the page's CSRF token."""
    ask_code(client, link)
    page = client.get(f"/d/{link}")
    response = client.post(
        f"/d/{link}/verify",
        data={"code": phone.last_code, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get(f"/d/{link}")
    assert 'data-testid="balance"' in home.text
    return csrf_of(home.text)


REFERENCE = re.compile(r"Q\d{6}\d{7}")
