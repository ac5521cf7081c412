"""The survey from contact to score: planned after a right-party call, sent through the guard
and the outbox the next run-day, answered once by SMS reply or link, counted by the KPIs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from huikuan.audit.models import AuditLog
from huikuan.cases.models import Hold
from huikuan.compliance.models import ContactAttempt
from huikuan.core.policy import ProductPolicy, policy_to_dict
from huikuan.db.engine import transaction
from huikuan.dispatch.inbound import record_replies
from huikuan.dispatch.models import InboundMessage, OutboxMessage
from huikuan.dispatch.sms_inbound import InboundReply
from huikuan.kpis.models import Survey, SurveyStatus
from huikuan.kpis.service import kpi_report
from huikuan.kpis.survey import (
    AnswerOutcome,
    ScoreError,
    answer_by_token,
    note_debtor_action,
)
from huikuan.messaging.service import get_template
from huikuan.org.models import Product
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import World, build_world
from tests.web_survey.conftest import SEND_AT, Surveyed, rpc, run_surveys, send_one

PHONE = "13812345678"  # every debtor's own mobile in the small world


def reply(text: str, number: int, at: datetime = SEND_AT + timedelta(hours=1)) -> InboundReply:
    return InboundReply("kannel", PHONE, text, at, f"mo-{number}")


def survey(engine: Engine, survey_id: int) -> Survey:
    with transaction(engine) as s:
        found = s.get(Survey, survey_id)
        assert found is not None
        s.expunge(found)
    return found


def test_a_right_party_call_gets_one_survey_the_next_run_day(
    engine: Engine, cipher: FieldCipher
) -> None:
    world = build_world(engine, cipher)
    sent = send_one(world)
    assert (sent.run.created, sent.run.sent) == (1, 1)
    row = survey(engine, sent.survey_id)
    assert row.status == SurveyStatus.SENT.value
    assert row.agent_id == world.ids["a2"]  # the latest contact of the debtor
    assert row.contact_point_id == world.ids["c1_mobile"]
    assert row.sent_on == date(2026, 11, 20)
    assert row.token_hash is not None
    assert sent.token not in row.token_hash
    with transaction(engine) as s:
        message = s.scalars(
            select(OutboxMessage).where(OutboxMessage.send_key == f"SURVEY:{sent.survey_id}")
        ).one()
        attempt = s.get(ContactAttempt, message.contact_attempt_id)
        stored = get_template(s, "SMS-SURVEY", "zh", jurisdiction="CN")
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("survey.%"))))
    assert message.body.startswith("【A 银行】")
    assert "回复1-5" in message.body
    assert "工号a2" in message.body
    assert message.body.endswith("回复TD退订")
    assert f"https://hk.example/s/{sent.token}" in message.body
    assert PHONE not in message.recipient  # the address stays encrypted in the outbox
    assert attempt is not None
    assert attempt.purpose == "survey"
    assert attempt.executed
    assert stored.created_by == "system"
    assert actions == ["survey.planned", "survey.sent"]
    # The same run-day again changes nothing: the contacts are taken, the survey is sent.
    again = run_surveys(engine)
    assert (again.created, again.sent) == (0, 0)


def test_at_most_one_survey_per_debtor_per_thirty_days(surveyed: Surveyed) -> None:
    world = surveyed.world
    rpc(world, "c1", "a1", datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert run_surveys(world.engine, date(2026, 11, 26), SEND_AT + timedelta(days=6)).created == 0
    # 30 days after the last one was sent (2026-11-20 10:00), a new contact is surveyed again.
    rpc(world, "c1", "a1", datetime(2026, 12, 20, 3, 0, tzinfo=UTC))
    later = run_surveys(world.engine, date(2026, 12, 21), SEND_AT + timedelta(days=31))
    assert (later.created, later.sent) == (1, 1)


def test_only_right_party_conversations_by_a_person_count(world: World) -> None:
    rpc(world, "c3", "system", datetime(2026, 11, 19, 3, 0, tzinfo=UTC))  # not a person
    with transaction(world.engine) as s:
        unanswered = ContactAttempt(
            case_id=world.ids["c3"],
            debtor_id=world.ids["c3_debtor"],
            contact_point_id=world.ids["c3_mobile"],
            at=datetime(2026, 11, 19, 4, 0, tzinfo=UTC),
            channel="phone",
            party="consumer",
            outcome="unanswered",
            executed=True,
            decision="allowed",
            reasons=[],
            actor="a2",
        )
        s.add(unanswered)
    assert run_surveys(world.engine).created == 0
    rpc(world, "c3", "a2", datetime(2026, 11, 20, 3, 0, tzinfo=UTC))  # today: next run-day
    assert run_surveys(world.engine).created == 0


def test_a_lone_digit_reply_records_the_score_once(surveyed: Surveyed, cipher: FieldCipher) -> None:
    engine = surveyed.world.engine
    with transaction(engine) as s:
        first = record_replies(s, cipher, [reply("４", 1)])
    with transaction(engine) as s:
        second = record_replies(s, cipher, [reply("2", 2)])
        actions = list(s.scalars(select(InboundMessage.action).order_by(InboundMessage.id)))
    assert (first.survey_answers, second.survey_answers) == (1, 0)
    assert actions == ["survey", "none"]
    row = survey(engine, surveyed.survey_id)
    assert (row.status, row.score, row.answer_channel) == ("answered", 4, "sms")
    # The link now says so, and does not change the score either.
    with transaction(engine) as s:
        late = answer_by_token(s, surveyed.token, 1, SEND_AT + timedelta(hours=2))
    assert late.outcome is AnswerOutcome.ALREADY_ANSWERED
    assert late.score == 4
    assert survey(engine, surveyed.survey_id).score == 4


def test_an_opt_out_is_honoured_first_and_is_not_an_answer(
    surveyed: Surveyed, cipher: FieldCipher
) -> None:
    engine = surveyed.world.engine
    with transaction(engine) as s:
        result = record_replies(s, cipher, [reply("TD", 1), reply("我明天还 5", 2)])
    assert (result.opt_outs, result.survey_answers) == (1, 0)
    assert survey(engine, surveyed.survey_id).status == SurveyStatus.SENT.value


def test_a_reply_after_the_survey_closed_is_ignored(
    surveyed: Surveyed, cipher: FieldCipher
) -> None:
    engine = surveyed.world.engine
    with transaction(engine) as s:
        result = record_replies(s, cipher, [reply("5", 1, SEND_AT + timedelta(days=15))])
    assert result.survey_answers == 0
    assert survey(engine, surveyed.survey_id).score is None


def test_the_guard_stops_a_survey_to_a_debtor_on_hold(world: World) -> None:
    with transaction(world.engine) as s:
        s.add(
            Hold(
                case_id=world.ids["c1"],
                kind="dispute",
                started_on=date(2026, 11, 19),
                actor="a1",
            )
        )
    rpc(world, "c1", "a1", datetime(2026, 11, 19, 3, 0, tzinfo=UTC))
    run = run_surveys(world.engine)
    assert (run.created, run.sent, run.blocked) == (1, 0, 1)
    with transaction(world.engine) as s:
        row = s.scalars(select(Survey)).one()
        staged = s.scalar(select(OutboxMessage.id).where(OutboxMessage.send_key.like("SURVEY:%")))
    assert row.status == SurveyStatus.BLOCKED.value
    assert row.rule_ids
    assert staged is None


def test_a_debtor_page_action_plans_a_survey_without_an_agent(world: World) -> None:
    at = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
    with transaction(world.engine) as s:
        made = note_debtor_action(s, world.ids["c3"], at, action="payment")
        again = note_debtor_action(s, world.ids["c3"], at, action="instalments")
    assert made is not None
    assert again is None
    run = run_surveys(world.engine)
    assert run.sent == 1
    row = survey(world.engine, made.id)
    assert (row.agent_id, row.source, row.status) == (None, "debtor_page", "sent")


def test_a_score_outside_one_to_five_is_refused(surveyed: Surveyed) -> None:
    with transaction(surveyed.world.engine) as s, pytest.raises(ScoreError, match="score"):
        answer_by_token(s, surveyed.token, 6, SEND_AT)


def test_the_kpis_count_the_answer_under_the_contacts_agent(
    surveyed: Surveyed, cipher: FieldCipher
) -> None:
    engine = surveyed.world.engine
    with transaction(engine) as s:
        answer_by_token(s, surveyed.token, 5, SEND_AT + timedelta(hours=3))
        # The small world's products carry no policy; the KPI engine reads their buckets.
        s.execute(update(Product).values(policy=policy_to_dict(ProductPolicy("P"))))
    day = date(2026, 11, 20)
    with transaction(engine) as s:
        total = kpi_report(s, day, day)
        by_agent = kpi_report(s, day, day, ["agent"])
    assert total["satisfaction_score"].select("numerator", "denominator").row(0) == (5, 1)
    assert total["survey_response_rate"].select("numerator", "denominator").row(0) == (1, 1)
    rows = by_agent["satisfaction_share"].select("agent", "numerator", "denominator").rows()
    assert rows == [(surveyed.world.ids["a2"], 1, 1)]
