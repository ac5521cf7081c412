"""The daily cycle end to end on both databases: planned through the guard, staged once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from huikuan.calls.models import CallTask
from huikuan.cases.models import Hold
from huikuan.compliance.models import ContactAttempt
from huikuan.cycle.models import StrategyAction
from huikuan.cycle.service import run_day
from huikuan.db.engine import transaction
from huikuan.demo.service import demo_rules, load_demo
from huikuan.dispatch.models import OutboxMessage
from huikuan.security.crypto import FieldCipher
from huikuan.strategy.document import default_strategy


def counts(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        attempts = session.scalar(select(func.count()).select_from(ContactAttempt)) or 0
    return int(outbox), int(attempts)


def test_run_day_plans_through_the_guard_and_a_rerun_changes_nothing(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    result = load_demo(
        engine,
        accounts=1500,
        as_of=date(2026, 11, 20),
        days=2,
        seed=21,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    assert [c.business_date for c in result.cycles] == [date(2026, 11, 19), date(2026, 11, 20)]
    last = result.cycles[-1]
    assert last.planned > 0
    assert last.call_tasks > 0
    staged, attempts = counts(engine)
    notices = sum(c.outsourcing_notices for c in result.cycles)
    assert notices > 0  # cases went to the agency: the lender told those debtors first (C6 41)
    assert staged == sum(c.sent for c in result.cycles) + notices
    with transaction(engine) as session:
        message_actions = session.scalar(
            select(func.count())
            .select_from(StrategyAction)
            .where(
                StrategyAction.channel.in_(["sms", "email", "letter"]),
                StrategyAction.status.in_(["staged", "deferred", "blocked"]),
            )
        )
        notice_attempts = session.scalar(
            select(func.count())
            .select_from(ContactAttempt)
            .where(ContactAttempt.purpose == "outsourcing_notice")
        )
    # Every message the guard decided has its attempt (a notice it stopped too); planned calls
    # have none until dialled.
    assert notice_attempts is not None
    assert notice_attempts >= notices
    assert attempts == message_actions + notice_attempts
    # After the first day an agency is stopped for want of the notice only where the notice was
    # itself stopped: the debtor disputed or complained (a hold) before it could go out.
    with transaction(engine) as session:
        unnoticed = {
            action.case_id
            for action in session.scalars(select(StrategyAction))
            if "CN-BANK-C6-41-OUTSOURCING-NOTICE" in action.rule_ids
            and action.as_of > result.cycles[0].business_date
        }
        held = set(session.scalars(select(Hold.case_id)))
    assert unnoticed <= held
    again = run_day(engine, date(2026, 11, 20), strategy=default_strategy(), rules=demo_rules())
    assert again.already_ran
    assert (again.planned, again.sent, again.blocked) == (last.planned, last.sent, last.blocked)
    assert counts(engine) == (staged, attempts)
    with transaction(engine) as session:
        keys = session.scalars(select(OutboxMessage.send_key)).all()
        assert len(keys) == len(set(keys))
        bodies = session.execute(select(OutboxMessage.channel, OutboxMessage.body)).all()
        texts = [body for channel, body in bodies if channel != "letter"]
        assert all("工号" in body or "Collector ID" in body for body in texts)
        assert any("Collector ID" in body for body in texts)  # in the debtor's own language
        letters = [body for channel, body in bodies if channel == "letter"]
        assert letters  # with the C4 art. 69 elements: amounts, how to object, by when
        assert all("异议" in body and "本金" in body for body in letters)
        assert all(
            token.startswith("v1:") for token in session.scalars(select(OutboxMessage.recipient))
        )
        stopped = session.scalars(
            select(ContactAttempt).where(ContactAttempt.executed.is_(False))
        ).all()
        assert all(attempt.reasons for attempt in stopped)

        # Every action is logged once with its arm; every queued call is a task in a queue.
        actions = session.scalars(select(StrategyAction)).all()
        assert len(actions) == sum(c.planned for c in result.cycles)
        assert {a.arm for a in actions} <= {"champion", "challenger"}
        assert len({a.action_key for a in actions}) == len(actions)
        tasks = session.scalars(select(CallTask)).all()
        assert len(tasks) == sum(c.call_tasks for c in result.cycles) > 0
        assert all(t.status == "open" and t.script and t.script.startswith("CALL-") for t in tasks)
        staged_actions = [a for a in actions if a.status == "staged"]
        assert len(staged_actions) == sum(c.sent for c in result.cycles)
        templates = session.scalars(select(OutboxMessage.template_code)).all()
        assert templates
        assert all(code for code in templates)
        assert "SMS-OUTSOURCING-NOTICE" in templates
