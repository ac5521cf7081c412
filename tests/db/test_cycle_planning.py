"""The bulk planner: deferrals come back on their day, opt-out replies close a channel at once,
exit conditions stop steps, and the bulk guard agrees with the one-by-one guard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from sqlalchemy import Engine, select

from huikuan.accounts.models import Account, ContactPoint
from huikuan.accounts.service import load_accounts
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case
from huikuan.compliance.models import ContactAttempt, DebtorEvent
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.cycle.models import StrategyAction
from huikuan.cycle.planning import SYSTEM, exit_columns
from huikuan.cycle.service import run_day
from huikuan.db.engine import transaction
from huikuan.demo.service import demo_rules, load_demo
from huikuan.dispatch.inbound import is_opt_out, record_replies
from huikuan.dispatch.models import InboundMessage, MessageStatus, OutboxMessage
from huikuan.nightly.service import close_through
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher
from huikuan.strategy.document import default_strategy
from huikuan.strategy.planning import assign_segments, due_actions

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Reply:
    provider: str
    phone: str
    text: str
    received_at: datetime
    provider_id: str


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(
        engine,
        accounts=1200,
        as_of=DAY,
        days=1,
        seed=5,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    return engine


def _actions_due(engine: Engine, day: date) -> pl.DataFrame:
    """What the strategy will ask for on ``day`` (the day's nightly closed first, as run-day
    would; closing a day is idempotent, so run-day's own nightly stage then changes nothing)."""
    close_through(engine, day)
    with transaction(engine) as session:
        accounts = load_accounts(session).filter(pl.col("status") == "open")
        accounts = exit_columns(session, accounts, day)
    strategy = default_strategy()
    return due_actions(assign_segments(accounts, strategy), strategy, day)


def _case_of(engine: Engine, account_id: int) -> Case:
    with transaction(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None
        assert account.case_id is not None
        case = session.get(Case, account.case_id)
        assert case is not None
        session.expunge(case)
        return case


def _mobile(engine: Engine, debtor_id: int) -> ContactPoint:
    with transaction(engine) as session:
        point = session.scalars(
            select(ContactPoint)
            .where(
                ContactPoint.debtor_id == debtor_id,
                ContactPoint.kind == "mobile",
                ContactPoint.owner_type == "self",
            )
            .order_by(ContactPoint.id)
        ).first()
        assert point is not None
        session.expunge(point)
        return point


def test_a_capped_call_is_deferred_and_proposed_again_on_its_day(demo: Engine) -> None:
    engine = demo
    tomorrow = DAY + timedelta(days=1)
    calls = _actions_due(engine, tomorrow).filter(pl.col("channel") == "call")
    assert calls.height > 0
    case = _case_of(engine, int(calls.row(0, named=True)["account_id"]))
    point = _mobile(engine, case.debtor_id)
    # Six unanswered calls to that number this morning: the CBA cap (6 a day) is reached.
    with transaction(engine) as session:
        for minute in range(6):
            proposal = propose_contact(
                session,
                SYSTEM,
                case.id,
                ProposedContact(
                    at=datetime(2026, 11, 21, 8, 30 + minute, tzinfo=BEIJING),
                    channel="phone",
                    contact_point_id=point.id,
                    call_type="agent",
                    caller="lender" if case.agency_id is None else None,
                ),
                outcome="unanswered",
            )
            assert proposal.verdict.allowed
    report = run_day(engine, tomorrow, strategy=default_strategy(), rules=demo_rules())
    assert report.deferred >= 1
    assert report.top_reasons.get("CN-CBA-2026-UNANSWERED-6", 0) >= 1
    with transaction(engine) as session:
        waiting = session.scalars(
            select(StrategyAction).where(
                StrategyAction.case_id == case.id, StrategyAction.status == "deferred"
            )
        ).all()
        assert [a.channel for a in waiting] == ["call"]
        assert waiting[0].retry_on == tomorrow + timedelta(days=1)
        assert session.scalars(select(CallTask).where(CallTask.case_id == case.id)).all() == []
    after = tomorrow + timedelta(days=1)
    later = run_day(engine, after, strategy=default_strategy(), rules=demo_rules())
    assert later.rescheduled >= 1
    with transaction(engine) as session:
        old = session.get(StrategyAction, waiting[0].id)
        assert old is not None
        assert old.status == "rescheduled"
        task = session.scalars(
            select(CallTask).where(CallTask.case_id == case.id, CallTask.due_on == after)
        ).first()
        assert task is not None
        assert task.status == "open"


def test_a_stop_reply_cancels_what_waits_and_blocks_the_next_text(
    demo: Engine, cipher: FieldCipher
) -> None:
    engine = demo
    with transaction(engine) as session:
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == "sms",
                OutboxMessage.status == MessageStatus.PENDING.value,
            )
        ).first()
        assert message is not None
        assert message.contact_point_id is not None
        point = session.get(ContactPoint, message.contact_point_id)
        assert point is not None
        phone = cipher.decrypt(point.value_enc, context="contact.value")
        debtor_id = point.debtor_id
        message_id = message.id
    reply = Reply("aliyun", f"+86 {phone}", "退订", datetime(2026, 11, 20, 11, 0, tzinfo=UTC), "m1")
    with transaction(engine) as session:
        result = record_replies(session, cipher, [reply])
    assert (result.received, result.opt_outs) == (1, 1)
    assert result.cancelled >= 1
    with transaction(engine) as session:
        again = record_replies(session, cipher, [reply])  # the provider pushes the batch twice
        assert (again.received, again.duplicates) == (0, 1)
        assert session.scalar(select(InboundMessage.action)) == "opt_out"
        cancelled = session.get(OutboxMessage, message_id)
        assert cancelled is not None
        assert cancelled.status == MessageStatus.CANCELLED.value
        event = session.scalars(select(DebtorEvent).where(DebtorEvent.debtor_id == debtor_id)).one()
        assert event.event["medium"] == "sms"
        case = session.scalars(select(Case).where(Case.debtor_id == debtor_id)).first()
        assert case is not None
        # The guard now refuses a text to that number, and a call is still allowed.
        text = propose_contact(
            session,
            SYSTEM,
            case.id,
            ProposedContact(
                at=datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING),
                channel="sms",
                contact_point_id=point.id,
            ),
        )
        assert not text.verdict.allowed
        assert "CN-PIPL-44-OPT-OUT" in {r.rule_id for r in text.verdict.reasons}
        call = propose_contact(
            session,
            SYSTEM,
            case.id,
            ProposedContact(
                at=datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING),
                channel="phone",
                contact_point_id=point.id,
                call_type="agent",
            ),
        )
        assert "CN-PIPL-44-OPT-OUT" not in {r.rule_id for r in call.verdict.reasons}
    # Over the following days no text to that debtor is staged by the cycle.
    for offset in (1, 2, 3):
        run_day(
            engine, DAY + timedelta(days=offset), strategy=default_strategy(), rules=demo_rules()
        )
    with transaction(engine) as session:
        texts = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.contact_point_id == point.id,
                OutboxMessage.channel == "sms",
                OutboxMessage.not_before > datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            )
        ).all()
        assert [(t.template_code, t.send_key) for t in texts] == []


def test_a_reply_that_is_not_a_stop_changes_nothing(demo: Engine, cipher: FieldCipher) -> None:
    with transaction(demo) as session:
        point = session.scalars(
            select(ContactPoint).where(ContactPoint.kind == "mobile").order_by(ContactPoint.id)
        ).first()
        assert point is not None
        phone = cipher.decrypt(point.value_enc, context="contact.value")
        result = record_replies(
            session,
            cipher,
            [Reply("tencent", phone, "我周五还款", datetime(2026, 11, 20, 12, tzinfo=UTC), "x")],
        )
        assert (result.received, result.opt_outs, result.cancelled) == (1, 0, 0)
        assert session.scalar(select(DebtorEvent.id)) is None
        unknown = record_replies(
            session,
            cipher,
            [Reply("tencent", "13000000000", "退订", datetime(2026, 11, 20, 12, tzinfo=UTC), "y")],
        )
        assert unknown.unmatched == 1
        assert unknown.opt_outs == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("STOP", True), ("退订", True), ("回复：退订", True), ("td", True), ("好的", False)],
)
def test_opt_out_words(text: str, expected: bool) -> None:
    assert is_opt_out(text) is expected


def test_a_payment_since_falling_behind_ends_the_steps_that_exit_on_payment(
    demo: Engine,
) -> None:
    engine = demo
    tomorrow = DAY + timedelta(days=1)
    due = _actions_due(engine, tomorrow).filter(pl.col("channel") == "sms")
    assert due.height > 0
    account_id = int(due.row(0, named=True)["account_id"])
    with transaction(engine) as session:
        session.add(
            Payment(
                account_id=account_id,
                received_on=DAY,
                amount=100,
                channel="bank",
                reference="TEST-PAID-1",
                posted_on=DAY,
            )
        )
    after = _actions_due(engine, tomorrow)
    assert account_id not in after.get_column("account_id").to_list()


def test_the_bulk_guard_agrees_with_the_one_by_one_guard(demo: Engine) -> None:
    """Every text the cycle staged is one the scalar guard also allows at the same moment."""
    engine = demo
    with transaction(engine) as session:
        staged = session.execute(
            select(OutboxMessage.case_id, OutboxMessage.contact_point_id, ContactAttempt.at)
            .join(ContactAttempt, ContactAttempt.id == OutboxMessage.contact_attempt_id)
            .where(OutboxMessage.channel == "sms", ContactAttempt.purpose == "collection")
            .limit(40)
        ).all()
        assert staged
        blocked = session.execute(
            select(ContactAttempt.case_id, ContactAttempt.contact_point_id, ContactAttempt.at)
            .where(ContactAttempt.decision == "blocked", ContactAttempt.channel == "sms")
            .limit(40)
        ).all()
        for case_id, point_id, at in [*staged, *blocked]:
            moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
            # The scalar check sees history up to and including the attempt itself; ask one
            # second before so the staged text is not counted against itself.
            verdict = propose_contact(
                session,
                SYSTEM,
                case_id,
                ProposedContact(
                    at=moment - timedelta(microseconds=1),
                    channel="sms",
                    contact_point_id=point_id,
                ),
            ).verdict
            assert verdict.allowed is ((case_id, point_id, at) in staged)
        session.rollback()


def test_an_open_hold_stays_in_force_beside_a_later_ended_one(demo: Engine) -> None:
    """Two disputes on one case: the first still open, a later one already resolved. The guard
    (scalar and bulk) must still see the open one."""
    from huikuan.cases.models import Hold
    from huikuan.compliance.service import holds_in_view

    with transaction(demo) as session:
        case = session.scalars(select(Case).order_by(Case.id)).first()
        assert case is not None
        point = session.scalars(
            select(ContactPoint).where(
                ContactPoint.debtor_id == case.debtor_id, ContactPoint.kind == "mobile"
            )
        ).first()
        assert point is not None
        session.add(Hold(case_id=case.id, kind="dispute", started_on=date(2026, 11, 1), actor="t"))
        session.add(
            Hold(
                case_id=case.id,
                kind="dispute",
                started_on=date(2026, 11, 5),
                ended_on=date(2026, 11, 6),
                actor="t",
            )
        )
        session.flush()
        verdict = propose_contact(
            session,
            SYSTEM,
            case.id,
            ProposedContact(
                at=datetime(2026, 11, 21, 10, 0, tzinfo=BEIJING),
                channel="phone",
                contact_point_id=point.id,
                call_type="agent",
            ),
        ).verdict
        assert not verdict.allowed
        assert "CN-CBA-2026-HOLD" in {reason.rule_id for reason in verdict.reasons}
        session.rollback()
    rows = [
        (7, 1, "dispute", date(2026, 11, 1), None),
        (7, 1, "dispute", date(2026, 11, 5), date(2026, 11, 6)),
        (7, 1, "complaint", date(2026, 11, 2), date(2026, 11, 3)),
    ]
    assert sorted(holds_in_view(rows, lambda row: row[1:]), key=str) == sorted(
        [rows[0], rows[2]], key=str
    )


def test_plans_are_watched_daily_broken_and_completed(demo: Engine) -> None:
    """An approved plan with two instalments long past due and unpaid breaks: the case goes back
    to collection; one whose every instalment was paid completes."""
    from huikuan.cases.models import CaseTransition, Plan
    from huikuan.cases.plan_watch import watch_plans

    def schedule(first: date, amounts: list[int]) -> dict[str, object]:
        return {
            "schedule": [
                {
                    "number": number + 1,
                    "due_on": date(first.year, first.month + number, first.day).isoformat(),
                    "principal": amount,
                    "interest": 0,
                    "amount": amount,
                }
                for number, amount in enumerate(amounts)
            ]
        }

    with transaction(demo) as session:
        cases = session.scalars(select(Case).order_by(Case.id).limit(2)).all()
        breaking, keeping = cases
        for case in cases:
            case.state = "in_plan"
        account = session.scalars(select(Account).where(Account.case_id == keeping.id)).first()
        assert account is not None
        session.add(
            Plan(
                case_id=breaking.id,
                kind="instalment",
                terms=schedule(date(2026, 8, 1), [10_000, 10_000, 10_000]),
                status="approved",
                created_on=date(2026, 7, 20),
                proposed_by="t",
            )
        )
        session.add(
            Plan(
                case_id=keeping.id,
                account_id=account.id,
                kind="instalment",
                terms=schedule(date(2026, 9, 1), [5_000, 5_000]),
                status="approved",
                created_on=date(2026, 8, 20),
                proposed_by="t",
            )
        )
        for number, day in enumerate((date(2026, 9, 1), date(2026, 10, 1))):
            session.add(
                Payment(
                    account_id=account.id,
                    received_on=day,
                    amount=5_000,
                    channel="bank",
                    reference=f"PLAN-{number}",
                    posted_on=day,
                )
            )
    at = datetime(2026, 11, 21, 2, tzinfo=UTC)
    with transaction(demo) as session:
        watched = watch_plans(session, date(2026, 11, 21), at=at)
        assert (watched.watched, watched.broken, watched.completed) == (2, 1, 1)
        states = dict(
            session.execute(
                select(Case.id, Case.state).where(Case.id.in_([breaking.id, keeping.id]))
            ).all()
        )
        assert states == {breaking.id: "active", keeping.id: "settled"}
        reasons = set(
            session.scalars(
                select(CaseTransition.reason).where(CaseTransition.case_id == breaking.id)
            )
        )
        assert "plan_broken" in reasons
    with transaction(demo) as session:  # judged once: nothing more to write
        again = watch_plans(session, date(2026, 11, 21), at=at)
        assert (again.broken, again.completed) == (0, 0)
