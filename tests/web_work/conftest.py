"""Fixtures for the agent's case tools: the web tests' small world (``tests/web/conftest.py``)
plus the default message templates, an email address for the debtor of ``c1`` and call tasks
due today, and a uvicorn server on 127.0.0.1 for the browser test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from huikuan.accounts.models import ContactPoint
from huikuan.calls.models import CallTask
from huikuan.db.engine import transaction
from huikuan.messaging.catalogue import DEFAULTS
from huikuan.messaging.service import save_template
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import (  # noqa: F401 - fixtures, re-exported for this folder
    START,
    TODAY,
    World,
    app,
    client,
    clock,
    sqlite_engine,
)
from tests.web.conftest import build_world as build_web_world
from tests.web.live import live_server

# The default templates these tests send (installing them all would only cost time).
TEMPLATES = frozenset({"SMS-M1-D1", "SMS-PTP-CONFIRM", "EMAIL-M2-NOTICE"})


def add_work_data(world: World, cipher: FieldCipher) -> World:
    """Templates, c1's email address and today's call tasks (two for a1, one for a2)."""
    ids = world.ids
    with transaction(world.engine) as s:
        for default in DEFAULTS:
            if default.code in TEMPLATES and default.jurisdiction == "CN":
                saved = save_template(
                    s,
                    "system",
                    default.code,
                    default.channel,
                    default.language,
                    default.jurisdiction,
                    default.subject,
                    default.body,
                    activate=True,
                    at=datetime(2026, 11, 1, tzinfo=UTC),
                )
                assert saved.saved, saved.problems
        email = ContactPoint(
            debtor_id=ids["c1_debtor"],
            kind="email",
            owner_type="self",
            value_enc=cipher.encrypt("wang@example.cn", context="contact.value"),
            value_hash=cipher.search_hash("wang@example.cn", kind="email"),
            value_masked="w***@example.cn",
            data_source="contract",
            created_on=date(2026, 11, 1),
        )
        s.add(email)
        s.flush()
        ids["c1_email"] = email.id
        tasks = [
            ("t-c1b", "c1b", "a1", 20, "SCRIPT-M4", "dpd_90"),
            ("t-c1", "c1", "a1", 10, "SCRIPT-PTP", "ptp_due"),
            ("t-c3", "c3", "a2", 5, "SCRIPT-M3", "dpd_60"),
            ("t-c1-old", "c1", "a1", 1, "SCRIPT-OLD", "yesterday"),
        ]
        for key, case, agent, priority, script, reason in tasks:
            task = CallTask(
                task_key=key,
                case_id=ids[case],
                agent_id=ids[agent],
                due_on=TODAY if key != "t-c1-old" else date(2026, 11, 19),
                not_before=START,
                priority=priority,
                script=script,
                reason=reason,
            )
            s.add(task)
            s.flush()
            ids[key] = task.id
    return world


def build_world(engine: Engine, cipher: FieldCipher) -> World:
    return add_work_data(build_web_world(engine, cipher), cipher)


@pytest.fixture
def world(sqlite_engine: Engine, cipher: FieldCipher) -> World:  # noqa: F811 - replaces the web one
    return build_world(sqlite_engine, cipher)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:  # noqa: F811
    with live_server(app) as url:
        yield url
