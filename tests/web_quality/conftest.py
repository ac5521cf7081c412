"""The web tests' small world (``tests/web/conftest.py``) plus what QA looks at.

Added: an agency QA user ``xqa`` (agency X: sees only the agency's case ``c2``) and three
contacts on 2026-11-18 (inside the sample window of the 20th): an SMS on ``c1`` by ``a1`` whose
text holds banned wording and an XSS attempt (``qa_sms``); a call on ``c3`` by ``a2`` whose
agent's note holds banned wording and HTML (``qa_call``, the note on the call task closed with
it); a clean SMS on the agency case ``c2`` by ``x1`` (``qa_clean``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from huikuan.calls.models import CallTask
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.org.models import Agency, User
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import (
    FAST_HASHER,
    PASSWORD,
    World,
    app,
    build_world,
    client,
    clock,
    sqlite_engine,
)
from tests.web.live import live_server

__all__ = ["app", "client", "clock", "sqlite_engine"]

SMS_TEXT = "王先生，再不还钱就让你坐牢<script>alert('sms')</script>"
NOTE_TEXT = '<img src=x onerror="alert(1)">他不还我就告诉你家人'
CLEAN_TEXT = "您好，您的账单已逾期，请尽快还款，如有疑问请致电客服。"
CONTACT_AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def add_quality_data(world: World) -> World:
    ids = world.ids
    with transaction(world.engine) as s:
        agency_id = s.query(Agency.id).filter_by(code="X").scalar()
        xqa = User(
            username="xqa",
            display_name="用户 xqa",
            role="qa",
            agency_id=agency_id,
            password_hash=FAST_HASHER.hash(PASSWORD),
        )
        s.add(xqa)
        sms = ContactAttempt(
            case_id=ids["c1"],
            debtor_id=ids["c1_debtor"],
            contact_point_id=ids["c1_mobile"],
            at=CONTACT_AT,
            channel="sms",
            party="consumer",
            content=SMS_TEXT,
            executed=False,
            decision="blocked",
            reasons=[
                {
                    "rule_id": "CN-CONTENT-FALSE-LEGAL",
                    "message": "The message contains banned wording",
                    "message_zh": "消息内容含有禁用表述",
                }
            ],
            actor="a1",
        )
        call = ContactAttempt(
            case_id=ids["c3"],
            debtor_id=ids["c3_debtor"],
            contact_point_id=ids["c3_mobile"],
            at=CONTACT_AT,
            channel="phone",
            party="consumer",
            outcome="conversation",
            executed=True,
            decision="allowed",
            reasons=[],
            actor="a2",
        )
        clean = ContactAttempt(
            case_id=ids["c2"],
            debtor_id=ids["c2_debtor"],
            contact_point_id=ids["c2_mobile"],
            at=CONTACT_AT,
            channel="sms",
            party="consumer",
            content=CLEAN_TEXT,
            executed=True,
            decision="allowed",
            reasons=[],
            actor="x1",
        )
        s.add_all([sms, call, clean])
        s.flush()
        s.add(
            CallTask(
                task_key="qa-test-task",
                case_id=ids["c3"],
                agent_id=ids["a2"],
                due_on=date(2026, 11, 18),
                not_before=datetime(2026, 11, 18, 0, 0, tzinfo=UTC),
                priority=1,
                reason="test",
                status="done",
                closed_at=CONTACT_AT,
                closed_by="a2",
                outcome="conversation",
                note=NOTE_TEXT,
            )
        )
        ids |= {"xqa": xqa.id, "qa_sms": sms.id, "qa_call": call.id, "qa_clean": clean.id}
    return world


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:
    return add_quality_data(build_world(sqlite_engine, cipher))


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1 (for the browser test)."""
    with live_server(app) as url:
        yield url
