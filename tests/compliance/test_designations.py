"""The debtor's own designations reach the guard at once: stop calls, a channel opt-out and
inconvenient times each stop exactly what they name, and taking one back reopens it.

First the rules on requests written out by hand (CN and US), then the service on both databases:
what is recorded, what the guard then decides, what waits in the outbox, what the pages list.
24 November 2026 is a Tuesday; times are Beijing time unless a test says otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint
from huikuan.audit.models import AuditLog
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case
from huikuan.compliance.cn import DEBTOR_TIMES_ID
from huikuan.compliance.designated import in_force
from huikuan.compliance.designations import (
    DesignationInputError,
    designations_in_force,
    record_channel_opt_out,
    record_inconvenient_time,
    record_stop_calls,
    withdraw_designation,
)
from huikuan.compliance.engine import check
from huikuan.compliance.models import DebtorEvent
from huikuan.compliance.registry import default_packs
from huikuan.compliance.request import parse_request
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.compliance.verdict import Decision, Verdict
from huikuan.cycle.planning import SYSTEM
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.dispatch.models import MessageStatus, OutboxMessage
from huikuan.org.models import Creditor
from huikuan.security.crypto import FieldCipher

BEIJING = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
OPT_OUT_ID = "CN-PIPL-44-OPT-OUT"
US_TIME_ID = "US-REGF-1006.6(b)(1)(i)"
US_MEDIUM_ID = "US-REGF-1006.14(h)"
MOBILE = "cp-1"
OTHER = "cp-2"


def at(day: int, clock: str, zone: ZoneInfo = BEIJING) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


def contact(moment: datetime, channel: str = "phone", **extra: Any) -> dict[str, Any]:
    proposed: dict[str, Any] = {
        "datetime": moment.isoformat(),
        "channel": channel,
        "direction": "outbound",
        "party": "consumer",
        "debt_ids": ["CC-1"],
        "to_number": MOBILE,
        "to_address": MOBILE,
    }
    proposed.update(extra)
    return proposed


def opt_out(
    moment: datetime, medium: str, address: str | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "datetime": moment.isoformat(),
        "channel": "medium_opt_out",
        "medium": medium,
        "party": "consumer",
        **extra,
    }
    if address is not None:
        event["to_number"] = address
    return event


def judge(
    proposed: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    *,
    times: list[dict[str, Any]] | None = None,
    jurisdiction: str = "CN",
    zone: str = "Asia/Shanghai",
) -> Verdict:
    request = parse_request(
        {
            "jurisdiction": jurisdiction,
            "debtor": {"timezone": zone, "inconvenient_times": times or []},
            "debts": [{"id": "CC-1"}],
            "events": events or [],
            "proposed": proposed,
        }
    )
    return check(request, default_packs())


def rules(verdict: Verdict) -> set[str]:
    return {reason.rule_id for reason in verdict.reasons}


TUESDAY_MORNING = {"weekdays": ["TUE"], "from": "09:00", "to": "12:00"}


# --- CN: the debtor's own inconvenient times (CN-HK-DEBTOR-TIMES) ------------------------------


def test_a_call_in_the_debtors_inconvenient_time_waits_until_it_ends() -> None:
    verdict = judge(contact(at(24, "10:00")), times=[TUESDAY_MORNING])
    assert verdict.decision is Decision.DEFERRED
    assert verdict.next_allowed_at == at(24, "12:00")
    assert rules(verdict) == {DEBTOR_TIMES_ID}
    reason = verdict.reasons[0]
    assert reason.pack == "CN-PIPL"
    assert "platform commitment, not a statutory time window" in reason.message
    assert "非法定时段" in reason.message_zh


def test_the_inconvenient_time_covers_only_the_days_and_hours_named() -> None:
    for moment in (at(25, "10:00"), at(24, "12:00"), at(24, "08:59"), at(23, "10:00")):
        assert judge(contact(moment), times=[TUESDAY_MORNING]) == Verdict(Decision.ALLOWED)
    # Text, e-mail and visits wait too; a letter is mailed, not delivered at an hour.
    for channel in ("sms", "email", "visit"):
        extra = {"collector_count": 2} if channel == "visit" else {}
        verdict = judge(contact(at(24, "11:00"), channel, **extra), times=[TUESDAY_MORNING])
        assert verdict.decision is Decision.DEFERRED, channel
        assert DEBTOR_TIMES_ID in rules(verdict)
    letter = judge(contact(at(24, "11:00"), "letter"), times=[TUESDAY_MORNING])
    assert DEBTOR_TIMES_ID not in rules(letter)
    assert letter.decision is not Decision.DEFERRED


def test_an_expired_designation_no_longer_defers() -> None:
    until_last_week = {**TUESDAY_MORNING, "until": "2026-11-17"}
    assert judge(contact(at(24, "10:00")), times=[until_last_week]) == Verdict(Decision.ALLOWED)
    until_today = {**TUESDAY_MORNING, "until": "2026-11-24"}
    assert judge(contact(at(24, "10:00")), times=[until_today]).decision is Decision.DEFERRED


def test_a_whole_inconvenient_day_then_quiet_hours_defer_to_the_next_morning() -> None:
    verdict = judge(contact(at(24, "15:00")), times=[{"weekdays": ["TUE"]}])
    assert verdict.decision is Decision.DEFERRED
    # The day ends at midnight, when the 22:00–08:00 quiet hours still hold.
    assert verdict.next_allowed_at == at(25, "08:00")
    assert DEBTOR_TIMES_ID in rules(verdict)


def test_every_day_inconvenient_blocks_instead_of_deferring_forever() -> None:
    verdict = judge(
        contact(at(24, "10:00")),
        times=[{"weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]}],
    )
    assert verdict.decision is Decision.BLOCKED
    assert DEBTOR_TIMES_ID in rules(verdict)


def test_a_later_consent_for_that_time_lets_the_call_through() -> None:
    consent = {
        "datetime": at(23, "16:00").isoformat(),
        "channel": "consent",
        "party": "consumer",
        "consent_to_call_at": at(24, "10:00").isoformat(),
    }
    verdict = judge(contact(at(24, "10:15")), [consent], times=[TUESDAY_MORNING])
    assert verdict == Verdict(Decision.ALLOWED)


def test_third_parties_are_not_covered_by_the_debtors_times() -> None:
    relay = contact(
        at(24, "10:00"),
        party="third_party:EC-1",
        relationship="friend",
        purpose="locate_or_relay_message",
    )
    assert DEBTOR_TIMES_ID not in rules(judge(relay, times=[TUESDAY_MORNING]))


# --- CN: opt-outs and taking them back (CN-PIPL-44-OPT-OUT) -------------------------------------


def test_stop_calls_blocks_calls_and_nothing_else() -> None:
    events = [opt_out(at(23, "15:00"), "phone")]
    call = judge(contact(at(24, "10:00")), events)
    assert call.decision is Decision.BLOCKED
    assert rules(call) == {OPT_OUT_ID}
    assert judge(contact(at(24, "10:00"), "sms"), events).decision is Decision.ALLOWED


def test_a_withdrawn_opt_out_reopens_the_channel_and_a_new_one_closes_it_again() -> None:
    stop = opt_out(at(23, "15:00"), "phone")
    withdrawn = opt_out(at(23, "18:00"), "phone", status="withdrawn")
    assert judge(contact(at(24, "10:00")), [stop, withdrawn]) == Verdict(Decision.ALLOWED)
    # Before the withdrawal the stop still held.
    assert judge(contact(at(23, "17:00")), [stop, withdrawn]).decision is Decision.BLOCKED
    again = opt_out(at(23, "20:00"), "phone")
    assert judge(contact(at(24, "10:00")), [stop, withdrawn, again]).decision is Decision.BLOCKED


def test_a_withdrawal_lifts_only_the_opt_out_with_the_same_terms() -> None:
    one_number = opt_out(at(23, "15:00"), "sms", MOBILE)
    every_number = opt_out(at(23, "15:05"), "sms")
    lift_one = opt_out(at(23, "18:00"), "sms", MOBILE, status="withdrawn")
    # The stop on every number stands: texting the number taken back is still refused.
    verdict = judge(contact(at(24, "10:00"), "sms"), [one_number, every_number, lift_one])
    assert rules(verdict) == {OPT_OUT_ID}
    lift_all = opt_out(at(23, "18:05"), "sms", status="withdrawn")
    verdict = judge(contact(at(24, "10:00"), "sms"), [one_number, every_number, lift_one, lift_all])
    assert verdict.decision is Decision.ALLOWED
    # Taking back the general stop leaves a stop on one number in force.
    verdict = judge(contact(at(24, "10:00"), "sms"), [one_number, every_number, lift_all])
    assert rules(verdict) == {OPT_OUT_ID}


def test_a_withdrawal_at_the_same_instant_does_not_lift_the_stop() -> None:
    moment = at(23, "15:00")
    events = [opt_out(moment, "phone"), opt_out(moment, "phone", status="withdrawn")]
    assert judge(contact(at(24, "10:00")), events).decision is Decision.BLOCKED


# --- US: the same designations under Regulation F -----------------------------------------------


def test_us_designated_times_and_opt_out_withdrawal() -> None:
    times = [{"weekdays": ["TUE"], "from": "09:00", "to": "12:00"}]
    proposed = contact(at(24, "10:00", NEW_YORK))
    verdict = judge(proposed, times=times, jurisdiction="US", zone="America/New_York")
    assert verdict.decision is Decision.DEFERRED
    assert verdict.next_allowed_at == at(24, "12:00", NEW_YORK)
    assert US_TIME_ID in rules(verdict)
    wednesday = contact(at(25, "10:00", NEW_YORK))
    assert US_TIME_ID not in rules(
        judge(wednesday, times=times, jurisdiction="US", zone="America/New_York")
    )
    stop = opt_out(at(23, "15:00", NEW_YORK), "phone")
    blocked = judge(wednesday, [stop], jurisdiction="US", zone="America/New_York")
    assert US_MEDIUM_ID in rules(blocked)
    withdrawn = opt_out(at(23, "18:00", NEW_YORK), "phone", status="withdrawn")
    reopened = judge(wednesday, [stop, withdrawn], jurisdiction="US", zone="America/New_York")
    assert US_MEDIUM_ID not in rules(reopened)


def test_in_force_matches_withdrawals_on_terms() -> None:
    raw = [
        ("a", {**opt_out(at(23, "15:00"), "sms", MOBILE)}),
        ("b", {**opt_out(at(23, "15:00"), "sms", OTHER)}),
        ("c", {**opt_out(at(23, "16:00"), "sms", MOBILE, status="withdrawn")}),
        ("d", {"datetime": at(23, "16:00").isoformat(), "channel": "inconvenient_time",
               "weekdays": ["TUE", "MON"], "from": "09:00", "to": "12:00"}),
        ("e", {"datetime": at(23, "17:00").isoformat(), "channel": "inconvenient_time",
               "weekdays": ["MON", "TUE"], "from": "09:00", "to": "12:00", "status": "withdrawn"}),
    ]  # fmt: skip
    assert in_force(raw) == ["b"]
    assert in_force(raw, at(23, "16:30")) == ["b", "d"]
    assert in_force(raw, at(23, "15:30")) == ["a", "b"]


# --- The service, on SQLite and PostgreSQL -------------------------------------------------------


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(
        engine,
        accounts=200,
        as_of=date(2026, 11, 20),
        days=1,
        seed=12,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    return engine


def _cn_case_with_mobile(engine: Engine, *, skip: set[int] | None = None) -> tuple[int, int]:
    """A CN creditor's case whose debtor has an own mobile, Beijing time: (case id, point id)."""
    with transaction(engine) as session:
        rows = session.execute(
            select(Case.id, Case.debtor_id, ContactPoint.id)
            .join(Creditor, Creditor.id == Case.creditor_id)
            .join(ContactPoint, ContactPoint.debtor_id == Case.debtor_id)
            .where(
                Creditor.jurisdiction.is_distinct_from("US"),
                ContactPoint.owner_type == "self",
                ContactPoint.kind == "mobile",
            )
            .order_by(Case.id, ContactPoint.id)
        ).all()
    for case_id, debtor_id, point_id in rows:
        if debtor_id not in (skip or set()):
            return case_id, point_id
    raise AssertionError("the demo has no CN case with a mobile")


def _propose(
    engine: Engine, case_id: int, point_id: int, moment: datetime, channel: str
) -> Verdict:
    with transaction(engine) as session:
        return propose_contact(
            session,
            SYSTEM,
            case_id,
            ProposedContact(
                at=moment,
                channel=channel,
                contact_point_id=point_id,
                caller="lender",
                call_type="agent" if channel == "phone" else None,
            ),
        ).verdict


def test_stop_calls_through_the_service_blocks_calls_not_texts_until_withdrawn(
    demo: Engine,
) -> None:
    case_id, point_id = _cn_case_with_mobile(demo)
    with transaction(demo) as session:
        stored = record_stop_calls(
            session, case_id=case_id, at=at(23, "15:00"), actor="debtor:1", source="debtor_page"
        )
        stored_id = stored.id
        listed = designations_in_force(session, case_id, at(23, "15:30"))
        assert [(d.id, d.kind, d.source) for d in listed] == [
            (stored_id, "stop_calls", "debtor_page")
        ]
        assert listed[0].details["contact_point_id"] is None
        assert listed[0].summary_zh.startswith("停止来电")
        audit = session.scalars(
            select(AuditLog).where(AuditLog.action == "designation.recorded")
        ).all()
        assert len(audit) == 1
        assert audit[0].actor == "debtor:1"
        # No open call task of that debtor survives the stop.
        debtor_id = session.scalar(select(Case.debtor_id).where(Case.id == case_id))
        cases = select(Case.id).where(Case.debtor_id == debtor_id)
        open_tasks = session.scalars(
            select(CallTask).where(CallTask.case_id.in_(cases), CallTask.status == "open")
        ).all()
        assert open_tasks == []
    call = _propose(demo, case_id, point_id, at(24, "10:00"), "phone")
    assert call.decision is Decision.BLOCKED
    assert OPT_OUT_ID in rules(call)
    text = _propose(demo, case_id, point_id, at(24, "10:05"), "sms")
    assert OPT_OUT_ID not in rules(text)
    with transaction(demo) as session:
        withdrawal = withdraw_designation(
            session,
            case_id=case_id,
            designation_id=stored_id,
            at=at(24, "11:00"),
            actor="debtor:1",
            source="debtor_page",
        )
        assert withdrawal.event["status"] == "withdrawn"
        assert designations_in_force(session, case_id, at(24, "11:30")) == []
        # A withdrawn designation cannot be withdrawn twice.
        with pytest.raises(DesignationInputError) as error:
            withdraw_designation(
                session,
                case_id=case_id,
                designation_id=stored_id,
                at=at(24, "11:40"),
                actor="debtor:1",
                source="debtor_page",
            )
        assert error.value.field == "designation_id"
    again = _propose(demo, case_id, point_id, at(24, "14:00"), "phone")
    assert OPT_OUT_ID not in rules(again)
    assert again.decision is Decision.ALLOWED


def test_an_inconvenient_tuesday_morning_defers_tuesday_calls_only(demo: Engine) -> None:
    case_id, point_id = _cn_case_with_mobile(demo)
    with transaction(demo) as session:
        stored = record_inconvenient_time(
            session,
            case_id=case_id,
            weekdays=["tue"],
            start=time(9, 0),
            end=time(12, 0),
            until=None,
            at=at(23, "15:00"),
            actor="debtor:1",
            source="debtor_page",
        )
        stored_id = stored.id
        (listed,) = designations_in_force(session, case_id, at(23, "16:00"))
        assert listed.kind == "inconvenient_time"
        assert listed.details == {
            "weekdays": ["TUE"],
            "start": "09:00",
            "end": "12:00",
            "until": None,
        }
    tuesday = _propose(demo, case_id, point_id, at(24, "10:00"), "phone")
    assert tuesday.decision is Decision.DEFERRED
    assert tuesday.next_allowed_at == at(24, "12:00")
    assert rules(tuesday) == {DEBTOR_TIMES_ID}
    assert _propose(demo, case_id, point_id, at(25, "10:00"), "phone").decision is Decision.ALLOWED
    with transaction(demo) as session:
        withdraw_designation(
            session,
            case_id=case_id,
            designation_id=stored_id,
            at=at(25, "11:00"),
            actor="agent-7",
            source="phone_call",
        )
    next_tuesday = datetime(2026, 12, 1, 10, 0, tzinfo=BEIJING)
    assert _propose(demo, case_id, point_id, next_tuesday, "phone").decision is Decision.ALLOWED


def test_a_text_opt_out_withdraws_waiting_texts_to_that_person_only(demo: Engine) -> None:
    with transaction(demo) as session:
        waiting = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == "sms",
                OutboxMessage.status == MessageStatus.PENDING.value,
                OutboxMessage.case_id.is_not(None),
            )
            .order_by(OutboxMessage.id)
        ).all()
        assert len(waiting) >= 2
        mine = waiting[0]
        assert mine.case_id is not None
        case_id = mine.case_id
        debtor_id = session.scalar(select(Case.debtor_id).where(Case.id == case_id))
        own = set(
            session.scalars(
                select(ContactPoint.id).where(
                    ContactPoint.debtor_id == debtor_id, ContactPoint.owner_type == "self"
                )
            )
        )
        others = [m.id for m in waiting if m.contact_point_id not in own]
        assert others
        record_channel_opt_out(
            session,
            case_id=case_id,
            medium="sms",
            at=at(20, "12:00"),
            actor="debtor:9",
            source="debtor_page",
        )
        statuses = {
            m.id: m.status
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        }
        assert statuses[mine.id] == MessageStatus.CANCELLED.value
        assert all(statuses[other] == MessageStatus.PENDING.value for other in others)
        point_id = mine.contact_point_id
        assert point_id is not None
    text = _propose(demo, case_id, point_id, at(21, "10:00"), "sms")
    assert text.decision is Decision.BLOCKED
    assert OPT_OUT_ID in rules(text)
    assert OPT_OUT_ID not in rules(_propose(demo, case_id, point_id, at(21, "10:05"), "phone"))


def test_bad_input_is_refused_with_the_field_named(demo: Engine) -> None:
    case_id, _ = _cn_case_with_mobile(demo)
    with transaction(demo) as session:
        debtor_id = session.scalar(select(Case.debtor_id).where(Case.id == case_id))
        foreign = session.scalar(
            select(ContactPoint.id).where(
                ContactPoint.debtor_id != debtor_id, ContactPoint.owner_type == "self"
            )
        )
        email = session.scalar(
            select(ContactPoint.id).where(
                ContactPoint.debtor_id == debtor_id, ContactPoint.kind == "email"
            )
        )
    base: dict[str, Any] = {
        "case_id": case_id,
        "at": at(23, "15:00"),
        "actor": "debtor:1",
        "source": "debtor_page",
    }
    times: dict[str, Any] = {"weekdays": ["TUE"], "start": time(9), "end": time(12), "until": None}
    no_days, bad_day = {**times, "weekdays": []}, {**times, "weekdays": ["XYZ"]}
    past = {**times, "until": date(2026, 11, 1)}
    attempts: list[tuple[str, Any]] = [
        ("medium", lambda s: record_channel_opt_out(s, **base, medium="fax")),
        ("case_id", lambda s: record_stop_calls(s, **{**base, "case_id": 10**9})),
        ("at", lambda s: record_stop_calls(s, **{**base, "at": datetime(2026, 11, 23, 15)})),
        ("source", lambda s: record_stop_calls(s, **{**base, "source": " "})),
        ("contact_point_id", lambda s: record_stop_calls(s, **base, contact_point_id=foreign)),
        ("weekdays", lambda s: record_inconvenient_time(s, **base, **no_days)),
        ("weekdays", lambda s: record_inconvenient_time(s, **base, **bad_day)),
        ("end", lambda s: record_inconvenient_time(s, **base, **{**times, "end": None})),
        ("end", lambda s: record_inconvenient_time(s, **base, **{**times, "end": time(9)})),
        ("until", lambda s: record_inconvenient_time(s, **base, **past)),
        ("designation_id", lambda s: withdraw_designation(s, **base, designation_id=10**9)),
    ]  # fmt: skip
    if email is not None:
        attempts.append(
            ("contact_point_id", lambda s: record_stop_calls(s, **base, contact_point_id=email))
        )
    for field, attempt in attempts:
        with transaction(demo) as session, pytest.raises(DesignationInputError) as error:
            attempt(session)
        assert error.value.field == field, (field, error.value)
    with transaction(demo) as session:
        assert (
            session.scalars(
                select(DebtorEvent).where(DebtorEvent.channel == "inconvenient_time")
            ).all()
            == []
        )
    # A stretch through midnight is allowed (22:30–07:00), and read back as given.
    with transaction(demo) as session:
        record_inconvenient_time(
            session, **base, weekdays=["FRI"], start=time(22, 30), end=time(7), until=None
        )
        (night,) = designations_in_force(session, case_id, at(23, "16:00"))
        assert night.details["start"] == "22:30"
        assert night.details["end"] == "07:00"


def test_an_opt_out_for_one_number_names_it_masked(demo: Engine) -> None:
    case_id, point_id = _cn_case_with_mobile(demo)
    with transaction(demo) as session:
        record_channel_opt_out(
            session,
            case_id=case_id,
            medium="sms",
            contact_point_id=point_id,
            at=at(23, "15:00"),
            actor="debtor:1",
            source="debtor_page",
        )
        (listed,) = designations_in_force(session, case_id, at(23, "15:30"))
        masked = session.scalar(
            select(ContactPoint.value_masked).where(ContactPoint.id == point_id)
        )
    assert listed.kind == "channel_opt_out"
    assert listed.details["medium"] == "sms"
    assert listed.details["contact_point_id"] == point_id
    assert masked is not None
    assert masked in listed.summary
    assert "*" in masked
    assert _propose(demo, case_id, point_id, at(24, "10:00"), "sms").decision is Decision.BLOCKED
