"""A designation made today stops tomorrow's planned reminder (both databases).

Cases with a text or a call due tomorrow; today each debtor asks for something on the self-service
page (opt out of texts, stop calls, an inconvenient Saturday morning); the run-day for tomorrow
then plans none of the contacts asked against, names the rule that stopped each one, and still
plans what nobody asked against. 20 November 2026 is a Friday; 21 November a Saturday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from sqlalchemy import Engine, select

from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.accounts.service import load_accounts
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Hold
from huikuan.compliance.designations import (
    record_channel_opt_out,
    record_inconvenient_time,
    record_stop_calls,
)
from huikuan.cycle.models import StrategyAction
from huikuan.cycle.planning import exit_columns
from huikuan.cycle.service import run_day
from huikuan.db.engine import transaction
from huikuan.demo.service import demo_rules, load_demo
from huikuan.dispatch.models import OutboxMessage
from huikuan.nightly.service import close_through
from huikuan.org.models import Creditor
from huikuan.security.crypto import FieldCipher
from huikuan.strategy.document import default_strategy
from huikuan.strategy.planning import assign_segments, due_actions

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
TOMORROW = TODAY + timedelta(days=1)
OPT_OUT_ID = "CN-PIPL-44-OPT-OUT"
DEBTOR_TIMES_ID = "CN-HK-DEBTOR-TIMES"


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(
        engine,
        accounts=600,
        as_of=TODAY,
        days=1,
        seed=5,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    return engine


def _cases_due(engine: Engine, day: date, channel: str) -> list[int]:
    """In-house cases of CN creditors without holds, debtors on Beijing time with their own
    mobile, that the strategy will ask to reach by ``channel`` on ``day``: one case per debtor,
    lowest id first."""
    close_through(engine, day)  # as run-day would; closing a day again changes nothing
    with transaction(engine) as session:
        accounts = load_accounts(session).filter(pl.col("status") == "open")
        accounts = exit_columns(session, accounts, day)
        strategy = default_strategy()
        due = due_actions(assign_segments(accounts, strategy), strategy, day)
        wanted = due.filter(pl.col("channel") == channel).get_column("account_id").to_list()
        rows = session.execute(
            select(Case.id, Case.debtor_id)
            .join(Account, Account.case_id == Case.id)
            .join(Creditor, Creditor.id == Case.creditor_id)
            .join(Debtor, Debtor.id == Case.debtor_id)
            .where(
                Account.id.in_(wanted),
                Creditor.jurisdiction.is_distinct_from("US"),
                Debtor.timezone.is_(None) | (Debtor.timezone == "Asia/Shanghai"),
                # Nothing else stops the contact: in-house (no outsourcing notice needed), no hold.
                Case.agency_id.is_(None),
                Case.id.not_in(select(Hold.case_id)),
                Case.debtor_id.in_(
                    select(ContactPoint.debtor_id).where(
                        ContactPoint.owner_type == "self", ContactPoint.kind == "mobile"
                    )
                ),
            )
            .order_by(Case.id)
        ).all()
    seen: set[int] = set()
    cases = []
    for case_id, debtor_id in rows:
        if debtor_id not in seen:
            seen.add(debtor_id)
            cases.append(case_id)
    return cases


def _action(engine: Engine, case_id: int, channel: str) -> StrategyAction:
    with transaction(engine) as session:
        action = session.scalars(
            select(StrategyAction).where(
                StrategyAction.case_id == case_id,
                StrategyAction.as_of == TOMORROW,
                StrategyAction.channel == channel,
            )
        ).one()
        session.expunge(action)
        return action


def _planned_texts(engine: Engine, case_id: int) -> list[OutboxMessage]:
    with transaction(engine) as session:
        start = datetime.combine(TOMORROW, time(0), tzinfo=BEIJING)
        return list(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.case_id == case_id,
                    OutboxMessage.channel == "sms",
                    OutboxMessage.not_before >= start,
                )
            )
        )


def test_designations_made_today_stop_tomorrows_planned_contacts(demo: Engine) -> None:
    engine = demo
    texts = _cases_due(engine, TOMORROW, "sms")
    calls = _cases_due(engine, TOMORROW, "call")
    calls = [case_id for case_id in calls if case_id not in texts]
    assert len(texts) >= 3
    assert calls
    opted_out, inconvenient, calls_stopped_only = texts[:3]
    call_case = calls[0]
    now = datetime.combine(TODAY, time(15, 0), tzinfo=BEIJING)
    with transaction(engine) as session:
        record_channel_opt_out(
            session, case_id=opted_out, medium="sms", at=now, actor="debtor:1", source="page"
        )
        record_inconvenient_time(
            session,
            case_id=inconvenient,
            weekdays=["SAT"],
            start=time(9, 0),
            end=time(12, 0),
            until=None,
            at=now,
            actor="debtor:2",
            source="page",
        )
        record_stop_calls(
            session, case_id=calls_stopped_only, at=now, actor="debtor:3", source="page"
        )
        record_stop_calls(session, case_id=call_case, at=now, actor="debtor:4", source="page")

    report = run_day(engine, TOMORROW, strategy=default_strategy(), rules=demo_rules())
    assert report.sent > 0  # the day went ahead for everyone else

    # Opted out of texts: tomorrow's text is blocked, nothing waits in the outbox.
    stopped = _action(engine, opted_out, "sms")
    assert stopped.status == "blocked"
    assert OPT_OUT_ID in stopped.rule_ids
    assert _planned_texts(engine, opted_out) == []

    # Saturday 09:00–12:00 is inconvenient: the 10:00 text waits until noon.
    waiting = _action(engine, inconvenient, "sms")
    assert waiting.status == "deferred"
    assert waiting.rule_ids == [DEBTOR_TIMES_ID]
    assert waiting.retry_at is not None
    retry_at = waiting.retry_at.replace(tzinfo=waiting.retry_at.tzinfo or ZoneInfo("UTC"))
    assert retry_at == datetime.combine(TOMORROW, time(12, 0), tzinfo=BEIJING)
    assert _planned_texts(engine, inconvenient) == []

    # Stop calls does not stop texts.
    sent = _action(engine, calls_stopped_only, "sms")
    assert sent.status == "staged", sent.rule_ids
    assert OPT_OUT_ID not in sent.rule_ids
    assert len(_planned_texts(engine, calls_stopped_only)) == 1

    # Stop calls: no call task for tomorrow, the call is blocked with the rule named.
    call = _action(engine, call_case, "call")
    assert call.status == "blocked"
    assert OPT_OUT_ID in call.rule_ids
    with transaction(engine) as session:
        tasks = session.scalars(
            select(CallTask).where(CallTask.case_id == call_case, CallTask.due_on == TOMORROW)
        ).all()
        assert tasks == []
