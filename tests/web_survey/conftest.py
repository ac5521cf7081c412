"""The web tests' small world (tests/web/conftest.py) plus one survey sent on 2026-11-20.

``surveyed`` logs two right-party calls on case ``c1`` on 2026-11-19 (``a1`` at 11:00, ``a2``
at 13:00 Beijing time) and runs the survey stage of the 2026-11-20 run-day at 10:00: one survey
(the latest contact's agent, ``a2``) goes to the debtor's own mobile. The link token is read
back from the outbox message, the only place it is kept in plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from huikuan.kpis.models import Survey
from huikuan.kpis.survey import SurveyRun, plan_surveys
from tests.web.conftest import (  # noqa: F401  (fixtures, used by name)
    World,
    app,
    client,
    clock,
    sqlite_engine,
    world,
)
from tests.web.live import live_server

RUN_DAY = date(2026, 11, 20)
SEND_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LINK = re.compile(r"/s/([A-Za-z0-9_-]+)")


@dataclass
class Surveyed:
    world: World
    survey_id: int
    token: str
    run: SurveyRun


def rpc(small: World, case: str, actor: str, at: datetime) -> None:
    """A right-party phone conversation an agent logged (what ``log_call`` stores for RPC)."""
    ids = small.ids
    with transaction(small.engine) as s:
        s.add(
            ContactAttempt(
                case_id=ids[case],
                debtor_id=ids[f"{case}_debtor"],
                contact_point_id=ids[f"{case}_mobile"],
                at=at,
                channel="phone",
                direction="outbound",
                party="consumer",
                caller="lender",
                call_type="agent",
                purpose="collection",
                outcome="conversation",
                executed=True,
                decision="allowed",
                reasons=[],
                actor=actor,
            )
        )


def run_surveys(engine: Engine, day: date = RUN_DAY, at: datetime = SEND_AT) -> SurveyRun:
    with transaction(engine) as s:
        return plan_surveys(s, day, at, base_url="https://hk.example")


def token_of(engine: Engine, survey_id: int) -> str:
    with transaction(engine) as s:
        body = s.scalar(
            select(OutboxMessage.body).where(OutboxMessage.send_key == f"SURVEY:{survey_id}")
        )
    assert body is not None
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


def send_one(small: World) -> Surveyed:
    rpc(small, "c1", "a1", datetime(2026, 11, 19, 3, 0, tzinfo=UTC))
    rpc(small, "c1", "a2", datetime(2026, 11, 19, 5, 0, tzinfo=UTC))
    run = run_surveys(small.engine)
    with transaction(small.engine) as s:
        survey_id = s.scalars(select(Survey.id)).one()
    return Surveyed(small, survey_id, token_of(small.engine, survey_id), run)


@pytest.fixture
def surveyed(world: World) -> Surveyed:  # noqa: F811
    return send_one(world)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:  # noqa: F811
    with live_server(app) as url:
        yield url
