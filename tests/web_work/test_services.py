"""The work services on SQLite and PostgreSQL: calls through the guard, promises, proposals,
messages, tasks and the dry run, with the business date and moment given explicitly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select

from huikuan.access.policy import AccessDeniedError, principal_for
from huikuan.calls.dispositions import DISPOSITIONS, DispositionCode, disposition
from huikuan.calls.models import CallTask
from huikuan.calls.service import NoteRefusedError, contact_status, log_call, open_tasks
from huikuan.cases.models import Case, Hold, Plan, Promise
from huikuan.cases.work import (
    NotPermittedError,
    PlanInput,
    WorkInputError,
    propose_plan,
    ptp_horizon_days,
    record_promise,
    send_template_message,
)
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from huikuan.org.models import Product
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import World
from tests.web_work.conftest import build_world

TODAY = date(2026, 11, 20)
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


@pytest.fixture
def db(engine: Engine, cipher: FieldCipher) -> World:
    return build_world(engine, cipher)


def test_every_disposition_is_defined_once_with_both_labels() -> None:
    assert set(DISPOSITIONS) == set(DispositionCode)
    for code, item in DISPOSITIONS.items():
        assert item.code is code
        assert item.label_zh
        assert item.label_en
    assert disposition("no_answer").outcome == "unanswered"
    assert {d.code for d in DISPOSITIONS.values() if d.hold} == {"dispute", "complaint"}
    with pytest.raises(ValueError, match="unknown disposition"):
        disposition("maybe")


def test_calls_through_the_guard(db: World) -> None:
    ids = db.ids
    with transaction(db.engine) as s:
        agent = principal_for(s, "a1")
        made = log_call(
            s,
            agent,
            ids["c1"],
            contact_point_id=ids["c1_mobile"],
            disposition_code="complaint",
            note="客户投诉催收频繁",
            today=TODAY,
            at=AT,
        )
        assert made.logged
        assert made.task_closed == ids["t-c1"]
        assert made.hold_id is not None
        hold = s.get(Hold, made.hold_id)
        assert hold is not None
        assert hold.kind == "complaint"
        case = s.get(Case, ids["c1"])
        assert case is not None
        assert case.state == "on_hold"
        task = s.get(CallTask, ids["t-c1"])
        assert task is not None
        assert (task.status, task.outcome) == ("done", "complaint")
        logged = s.get(ContactAttempt, made.attempt_id)
        assert logged is not None
        assert logged.disposition == "complaint"  # on the attempt itself, for QA and KPIs
        # The hold stops the next call: blocked, stored as evidence only.
        stopped = log_call(
            s,
            agent,
            ids["c1"],
            contact_point_id=ids["c1_mobile"],
            disposition_code="rpc",
            note="",
            today=TODAY,
            at=AT,
        )
        assert not stopped.logged
        assert stopped.decision == "blocked"
        attempt = s.get(ContactAttempt, stopped.attempt_id)
        assert attempt is not None
        assert attempt.executed is False
        assert attempt.disposition is None  # no call was made
    with transaction(db.engine) as s:
        agent = principal_for(s, "a1")
        count = s.scalar(select(func.count()).select_from(ContactAttempt))
        with pytest.raises(NoteRefusedError) as refused:
            log_call(
                s,
                agent,
                ids["c1b"],
                contact_point_id=ids["c1b_mobile"],
                disposition_code="rpc",
                note="我们会去你单位曝光你",
                today=TODAY,
                at=AT,
            )
        assert refused.value.hits
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == count
        with pytest.raises(WorkInputError) as bad:
            log_call(
                s,
                agent,
                ids["c1b"],
                contact_point_id=ids["c1_mobile"],
                disposition_code="nope",
                note="",
                today=TODAY,
                at=AT,
            )
        assert {e.field for e in bad.value.errors} == {"disposition", "contact_point_id"}
        with pytest.raises(AccessDeniedError):
            log_call(
                s,
                agent,
                ids["c3"],
                contact_point_id=ids["c3_mobile"],
                disposition_code="rpc",
                note="",
                today=TODAY,
                at=AT,
            )
        with pytest.raises(NotPermittedError):
            log_call(
                s,
                principal_for(s, "qa"),
                ids["c1b"],
                contact_point_id=ids["c1b_mobile"],
                disposition_code="rpc",
                note="",
                today=TODAY,
                at=AT,
            )


def test_promises_respect_the_balance_and_the_creditors_horizon(db: World) -> None:
    ids = db.ids
    with transaction(db.engine) as s:
        case = s.get(Case, ids["c1b"])
        assert case is not None
        assert ptp_horizon_days(s, case) == 30
        for product in s.scalars(select(Product)):
            product.policy = {"ptp_max_days": 7}
    with transaction(db.engine) as s:
        agent = principal_for(s, "a1")
        case = s.get(Case, ids["c1b"])
        assert case is not None
        assert ptp_horizon_days(s, case) == 7
        with pytest.raises(WorkInputError) as late:
            record_promise(
                s, agent, ids["c1b"], amount=100, promised_on=date(2026, 11, 28), today=TODAY, at=AT
            )
        assert [e.field for e in late.value.errors] == ["promised_on"]
        promise = record_promise(
            s, agent, ids["c1b"], amount=50_000, promised_on=date(2026, 11, 27), today=TODAY, at=AT
        )
        assert case.state == "promised"
        # A second promise on a promised case keeps the state.
        record_promise(
            s, agent, ids["c1b"], amount=100, promised_on=date(2026, 11, 21), today=TODAY, at=AT
        )
    with transaction(db.engine) as s:
        stored = s.get(Promise, promise.id)
        assert stored is not None
        assert (stored.amount, stored.status) == (50_000, "pending")


def test_proposals_and_messages(db: World) -> None:
    ids = db.ids
    with transaction(db.engine) as s:
        agent = principal_for(s, "a1")
        inputs = PlanInput(
            kind="instalment",
            schedule="equal_instalment",
            months=12,
            first_due_on="2026-12-20",
            annual_rate="3.6",
        )
        preview = propose_plan(s, agent, ids["c1b"], inputs, today=TODAY, at=AT, store=False)
        assert preview.plan_id is None
        assert len(preview.lines) == 12
        assert sum(line.principal for line in preview.lines) == preview.balance.total
        stored = propose_plan(s, agent, ids["c1b"], inputs, today=TODAY, at=AT, store=True)
        assert stored.plan_id is not None
        with pytest.raises(WorkInputError) as bad:
            propose_plan(
                s,
                agent,
                ids["c1b"],
                PlanInput(kind="instalment", months=61, first_due_on="2026-12-20"),
                today=TODAY,
                at=AT,
                store=True,
            )
        assert bad.value.errors[0].field == "months"
        sent = [
            send_template_message(
                s,
                agent,
                ids["c1b"],
                template_code="SMS-M1-D1",
                language="zh",
                contact_point_id=ids["c1b_mobile"],
                nonce="same",
                today=TODAY,
                at=AT,
                send=True,
            )
            for _ in range(2)
        ]
        assert [m.duplicate for m in sent] == [False, True]
        assert sent[0].send_key == sent[1].send_key
    with transaction(db.engine) as s:
        plan = s.get(Plan, stored.plan_id)
        assert plan is not None
        assert plan.status == "proposed"
        assert plan.terms["total"] == stored.total
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_tasks_and_the_dry_run(db: World) -> None:
    ids = db.ids
    with transaction(db.engine) as s:
        agent = principal_for(s, "a1")
        assert [t.task_id for t in open_tasks(s, agent, today=TODAY)] == [ids["t-c1"], ids["t-c1b"]]
        assert open_tasks(s, principal_for(s, "a2"), today=TODAY)[0].task_id == ids["t-c3"]
        before = s.scalar(select(func.count()).select_from(ContactAttempt))
        day = {item.channel: item for item in contact_status(s, agent, ids["c1"], at=AT)}
        night = {item.channel: item for item in contact_status(s, agent, ids["c1"], at=NIGHT)}
        assert day["phone"].allowed
        assert day["email"].contact_masked == "w***@example.cn"
        assert night["phone"].decision == "deferred"
        assert night["phone"].next_allowed_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == before
