"""The CN rule packs in the business's words: who may be contacted, when, how often, and how.

Sources are the ids of ``shared/COMPLIANCE-RULES.md`` §1.1 (C1 PIPL … C10 CBA 2026 guideline).
All times are Beijing time unless a test says otherwise; 2 March 2026 is a Monday.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.compliance.cn import (
    CN_PACKS,
    CBAParams,
    CNParams,
    GBTParams,
    ThirdPartyPolicy,
    UnreachableTriggers,
    cn_packs,
    debtor_unreachable,
)
from huikuan.compliance.engine import check
from huikuan.compliance.packs import RulePack
from huikuan.compliance.request import parse_request
from huikuan.compliance.verdict import Decision, Verdict

BEIJING = ZoneInfo("Asia/Shanghai")
MOBILE = "13800001234"
OFFICE = "13900005678"
FRIEND = "third_party:EC-1"


def at(day: int, clock: str) -> str:
    """A moment in March 2026, Beijing time."""
    return f"2026-03-{day:02d}T{clock}:00+08:00"


def call(
    day: int, clock: str, outcome: str = "unanswered", number: str = MOBILE, **extra: Any
) -> dict[str, Any]:
    return {
        "datetime": at(day, clock),
        "channel": "phone",
        "direction": "outbound",
        "party": "consumer",
        "to_number": number,
        "outcome": outcome,
        **extra,
    }


def contact(day: int, clock: str, channel: str = "phone", **extra: Any) -> dict[str, Any]:
    proposed: dict[str, Any] = {
        "datetime": at(day, clock),
        "channel": channel,
        "direction": "outbound",
        "party": "consumer",
    }
    if channel == "phone":
        proposed["to_number"] = MOBILE
    if channel == "visit":
        proposed["collector_count"] = 2
    proposed.update(extra)
    return proposed


def notice(day: int = 1, **extra: Any) -> dict[str, Any]:
    """The lender's letter telling the debtor the debt has been handed to an agency."""
    return {
        "datetime": at(day, "09:00"),
        "channel": "letter",
        "direction": "outbound",
        "party": "consumer",
        "content_type": "outsourcing_notice",
        **extra,
    }


def request_of(proposed: dict[str, Any], events: list[dict[str, Any]] | None = None) -> Any:
    return parse_request(
        {
            "jurisdiction": "CN",
            "debtor": {"timezone": "Asia/Shanghai"},
            "debts": [{"id": "CC-1"}, {"id": "CC-2"}],
            "events": events or [],
            "proposed": proposed,
        }
    )


def judge(
    proposed: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    packs: tuple[RulePack, ...] = CN_PACKS,
) -> Verdict:
    return check(request_of(proposed, events), packs)


def rules(verdict: Verdict) -> set[str]:
    return {reason.rule_id for reason in verdict.reasons}


def text(verdict: Verdict) -> str:
    return " ".join(
        f"{item.message} {item.message_zh}" for item in (*verdict.reasons, *verdict.warnings)
    )


# --- Quiet hours -----------------------------------------------------------------------------


def test_a_call_at_half_past_ten_at_night_waits_until_eight_next_morning() -> None:
    """C10 ch. 3 and C9: no collection 22:00–08:00 Beijing time without the debtor's consent."""
    verdict = judge(contact(2, "22:30"))
    assert verdict.decision is Decision.DEFERRED
    assert verdict.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=BEIJING)
    assert {"CN-CBA-2026-QUIET-HOURS", "CN-GBT-45251-QUIET-HOURS"} <= rules(verdict)
    assert "22:30" in text(verdict)
    assert "禁止催收时段" in text(verdict)


@pytest.mark.parametrize(
    ("clock", "decision"),
    [
        ("07:59", Decision.DEFERRED),
        ("08:00", Decision.ALLOWED),
        ("21:59", Decision.ALLOWED),
        ("22:00", Decision.DEFERRED),
        ("03:00", Decision.DEFERRED),
    ],
)
def test_the_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning(
    clock: str, decision: Decision
) -> None:
    """C10 ch. 3: 08:00 is the first allowed minute, 22:00 the first quiet one."""
    assert judge(contact(2, clock)).decision is decision


@pytest.mark.parametrize("channel", ["sms", "im", "email", "visit", "letter", "social_media"])
def test_the_quiet_hours_cover_every_channel(channel: str) -> None:
    """C10 ch. 3: phone, field visits and "other collection" (SMS, WeCom/IM) alike."""
    verdict = judge(contact(2, "23:15", channel))
    assert verdict.decision is Decision.DEFERRED
    assert verdict.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=BEIJING)


def test_the_quiet_hours_are_judged_in_beijing_time_whatever_offset_the_caller_sends() -> None:
    """C10 ch. 3: 14:30 UTC is 22:30 in Beijing."""
    proposed = contact(2, "10:00")
    proposed["datetime"] = "2026-03-02T14:30:00+00:00"
    verdict = judge(proposed)
    assert verdict.decision is Decision.DEFERRED
    assert verdict.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=BEIJING)


def test_before_the_cba_guideline_the_national_standard_still_keeps_the_quiet_hours() -> None:
    """C9 (GB/T 45251-2025, in force 2025-02-28); C10 only from 2026-01-30."""
    proposed = contact(2, "10:00")
    proposed["datetime"] = "2025-06-02T22:30:00+08:00"
    verdict = judge(proposed)
    assert verdict.decision is Decision.DEFERRED
    assert rules(verdict) == {"CN-GBT-45251-QUIET-HOURS"}


# --- Consent -----------------------------------------------------------------------------------


def consent(day: int, **extra: Any) -> dict[str, Any]:
    return {
        "datetime": at(day, "15:00"),
        "channel": "consent",
        "party": "consumer",
        "consent_type": "inconvenient_time",
        **extra,
    }


def test_the_debtors_consent_to_a_late_call_lifts_the_quiet_hours() -> None:
    """C10 ch. 3 (consent is the only exception) and C9 (a time agreed with the debtor)."""
    agreed = consent(1, consent_to_call_at="22:30")
    assert judge(contact(2, "22:40"), [agreed]).decision is Decision.ALLOWED
    # The agreement covers the agreed time and the hour after it, not the whole night.
    assert judge(contact(2, "23:45"), [agreed]).decision is Decision.DEFERRED


def test_a_consent_for_named_dates_covers_only_those_dates() -> None:
    """C10 ch. 3: consent is recorded with its scope."""
    agreed = consent(1, consent_valid_dates=["2026-03-02"])
    assert judge(contact(2, "22:30"), [agreed]).decision is Decision.ALLOWED
    assert judge(contact(3, "22:30"), [agreed]).decision is Decision.DEFERRED


def test_a_consent_at_an_exact_moment_and_a_revoked_consent() -> None:
    """C10 ch. 3: the consent must still stand when the contact happens."""
    agreed = consent(2, consent_to_call_at="2026-03-02T23:00:00+08:00")
    assert judge(contact(2, "23:20"), [agreed]).decision is Decision.ALLOWED
    revoked = {**consent(2), "datetime": at(2, "18:00"), "status": "revoked"}
    assert judge(contact(2, "23:20"), [agreed, revoked]).decision is Decision.DEFERRED


def test_the_debtors_consent_does_not_lift_the_quiet_hours_for_somebody_else() -> None:
    """C10 ch. 3: the consent is the contacted person's own."""
    events = [consent(2, consent_valid_dates=["2026-03-02"])]
    proposed = contact(2, "22:30", party="third_party:G-1", relationship="guarantor")
    assert judge(proposed, events).decision is Decision.DEFERRED


# --- Unanswered attempts per number ------------------------------------------------------------


def six_unanswered(day: int = 2, number: str = MOBILE) -> list[dict[str, Any]]:
    callers = ["lender", "agency:A", "lender", "agency:B", "lender", "agency:A"]
    return [
        call(day, f"{9 + i:02d}:00", number=number, caller=caller)
        for i, caller in enumerate(callers)
    ]


def test_a_seventh_unanswered_attempt_to_one_number_waits_but_another_number_may_be_called() -> (
    None
):
    """C10 ch. 3: no more than 6 unanswered attempts to the same number per day."""
    events = six_unanswered()
    verdict = judge(contact(2, "16:00"), events)
    assert verdict.decision is Decision.DEFERRED
    assert rules(verdict) == {"CN-CBA-2026-UNANSWERED-6"}
    assert verdict.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=BEIJING)
    assert "138****1234" in text(verdict)
    assert MOBILE not in text(verdict)
    assert judge(contact(2, "16:00", to_number=OFFICE), events).decision is Decision.ALLOWED


def test_answered_calls_and_yesterdays_attempts_do_not_count_toward_todays_six() -> None:
    """C10 ch. 3: unanswered attempts, per Beijing calendar day."""
    events = [*six_unanswered(day=1), *six_unanswered()[:5], call(2, "15:00", "conversation")]
    assert judge(contact(2, "16:00"), events).decision is Decision.ALLOWED


def test_the_day_boundary_is_beijing_midnight_even_for_events_sent_in_utc() -> None:
    """C10 ch. 3: 1 March 17:00 UTC is already 2 March 01:00 in Beijing."""
    events = six_unanswered()[:5]
    events.append({**call(2, "09:00"), "datetime": "2026-03-01T17:00:00+00:00"})
    assert judge(contact(2, "16:00"), events).decision is Decision.DEFERRED


def test_the_daily_cap_is_configuration() -> None:
    """C10 figures are secondary (S) and must stay configurable (rules §3.3)."""
    packs = cn_packs(CNParams(cba=CBAParams(unanswered_cap=3)))
    events = six_unanswered()[:3]
    assert judge(contact(2, "16:00"), events, packs).decision is Decision.DEFERRED
    assert judge(contact(2, "16:00"), events).decision is Decision.ALLOWED


def test_extra_calls_the_debtor_agreed_to_are_not_capped() -> None:
    """C10 ch. 3: "unless otherwise agreed with the debtor"."""
    agreed = consent(2, consent_type="additional_calls", consent_valid_dates=["2026-03-02"])
    assert judge(contact(2, "16:00"), [*six_unanswered(), agreed]).decision is Decision.ALLOWED


# --- Connected voice notices -------------------------------------------------------------------


def test_a_fourth_connected_voice_notice_waits_even_when_shared_with_an_agency() -> None:
    """C9: at most 3 connected voice-notice calls per debtor per day, lender + agencies."""
    voice = {"call_type": "voice_notice"}
    events = [
        notice(),
        call(2, "09:00", "connected_voice_notice", caller="lender", **voice),
        call(2, "10:00", "connected_voice_notice", number=OFFICE, caller="agency:A", **voice),
        call(2, "10:30", "unanswered", caller="agency:A", **voice),
        call(2, "11:00", "conversation", caller="lender", **voice),
    ]
    proposed = contact(2, "14:00", caller="agency:A", call_type="voice_notice")
    verdict = judge(proposed, events)
    assert verdict.decision is Decision.DEFERRED
    assert rules(verdict) == {"CN-GBT-45251-VOICE-NOTICE-3"}
    assert verdict.next_allowed_at == datetime(2026, 3, 3, 8, 0, tzinfo=BEIJING)
    # A third one is still fine, and an agent's own call is not a voice notice.
    assert judge(proposed, events[:-1]).decision is Decision.ALLOWED
    assert judge(contact(2, "14:00", call_type="agent"), events).decision is Decision.ALLOWED


def test_the_voice_notice_cap_is_configuration() -> None:
    """C9 figures are secondary (S)."""
    packs = cn_packs(CNParams(gbt=GBTParams(voice_notice_cap=1)))
    events = [call(2, "09:00", "connected_voice_notice", call_type="voice_notice")]
    proposed = contact(2, "14:00", call_type="voice_notice")
    assert judge(proposed, events, packs).decision is Decision.DEFERRED


# --- Field visits ------------------------------------------------------------------------------


@pytest.mark.parametrize(("collectors", "decision"), [(1, Decision.BLOCKED), (2, Decision.ALLOWED)])
def test_a_field_visit_needs_two_collectors(collectors: int, decision: Decision) -> None:
    """C10 art. 22: at least 2 collectors on every visit."""
    verdict = judge(contact(2, "10:00", "visit", collector_count=collectors))
    assert verdict.decision is decision
    if decision is Decision.BLOCKED:
        assert rules(verdict) == {"CN-CBA-2026-VISIT-2"}


def test_a_visit_with_no_collector_count_is_blocked() -> None:
    """C10 art. 22: the guard cannot see two collectors, so the visit does not go ahead."""
    proposed = contact(2, "10:00", "visit")
    del proposed["collector_count"]
    assert rules(judge(proposed)) == {"CN-CBA-2026-VISIT-2"}


# --- Third parties: emergency contacts, guarantors, spouses -----------------------------------


def relay(day: int, clock: str, **extra: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "party": FRIEND,
        "relationship": "emergency_contact",
        "to_number": "13600002222",
        "purpose": "locate_or_relay_message",
    }
    return contact(day, clock, **(facts | extra))


THREE_FAILED = [call(2, "09:00"), call(2, "11:00", "busy"), call(2, "14:00", number=OFFICE)]


def test_an_emergency_contact_is_off_limits_while_the_debtor_can_be_reached() -> None:
    """C10 ch. 3 and C9: contact persons only when the debtor is unreachable (失联)."""
    verdict = judge(relay(2, "15:00"), [call(2, "09:00", "conversation")])
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {
        "CN-CBA-2026-THIRD-PARTY-UNREACHABLE",
        "CN-GBT-45251-CONTACT-PERSONS",
    }


def test_an_emergency_contact_may_relay_a_message_from_the_day_after_three_failed_attempts() -> (
    None
):
    """C10 ch. 3: unreachable the day after 3 consecutive failed attempts; purpose: relay."""
    assert judge(relay(2, "15:00"), THREE_FAILED).decision is Decision.BLOCKED
    assert judge(relay(3, "10:00"), THREE_FAILED).decision is Decision.ALLOWED


def test_an_emergency_contact_may_not_be_asked_to_pay() -> None:
    """C10 ch. 3; C8 item 5; C4 art. 68: collect only from those obliged on the debt."""
    verdict = judge(relay(3, "10:00", purpose="collection"), THREE_FAILED)
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {
        "CN-CBA-2026-THIRD-PARTY-PURPOSE",
        "CN-GBT-45251-CONTACT-PERSONS",
        "CN-BANK-C8-5-UNRELATED-THIRD-PARTY",
    }


def test_an_emergency_contact_is_never_told_about_the_debt() -> None:
    """C10 ch. 3 (no disclosure) and C1 arts. 23, 28, 29 (sensitive data, separate consent)."""
    verdict = judge(relay(3, "10:00", discloses_debt=True), THREE_FAILED)
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {"CN-CBA-2026-THIRD-PARTY-NO-DISCLOSURE", "CN-PIPL-23-DISCLOSURE"}


def test_an_invalid_number_makes_the_debtor_unreachable_at_once() -> None:
    """C10 ch. 3: the debtor's own number is invalid."""
    events = [
        call(1, "10:00", "conversation"),
        {"datetime": at(2, "09:00"), "channel": "data_update", "update": "number_invalid"},
    ]
    assert judge(relay(2, "10:00"), events).decision is Decision.ALLOWED
    # A number found dead while another number of the debtor still works is not enough.
    events[1]["to_number"] = MOBILE
    events.append(call(1, "11:00", "conversation", number=OFFICE))
    assert judge(relay(2, "10:00"), events).decision is Decision.BLOCKED


def test_reaching_the_debtor_again_ends_the_emergency_contact_permission() -> None:
    """C10 ch. 3: stop using third parties once the debtor is reachable again."""
    events = [*THREE_FAILED, {**call(3, "09:00"), "direction": "inbound", "from_number": MOBILE}]
    assert judge(relay(3, "10:00"), events).decision is Decision.BLOCKED


def test_three_days_without_reaching_the_debtor_also_makes_them_unreachable() -> None:
    """C10 ch. 3: M = 3 consecutive days without reaching the debtor (N set out of reach)."""
    triggers = UnreachableTriggers(failed_attempts=100)
    policy = ThirdPartyPolicy(unreachable=triggers)
    packs = cn_packs(
        CNParams(cba=CBAParams(third_parties=policy), gbt=GBTParams(third_parties=policy))
    )
    events = [call(2, "10:00"), call(3, "10:00"), call(4, "10:00")]
    assert judge(relay(4, "15:00"), events, packs).decision is Decision.BLOCKED
    assert judge(relay(5, "10:00"), events, packs).decision is Decision.ALLOWED
    # A gap day breaks the run.
    gap = [call(2, "10:00"), call(4, "10:00"), call(5, "10:00")]
    assert judge(relay(6, "10:00"), gap, packs).decision is Decision.BLOCKED
    found = debtor_unreachable(request_of(relay(5, "10:00"), events), triggers)
    assert found is not None
    assert "3" in found.reason_zh


def test_the_guarantor_may_be_asked_to_pay() -> None:
    """C4 art. 68; C8 item 5: the debtor and the guarantor (担保人) may be collected from."""
    proposed = contact(2, "10:00", party="third_party:G-1", relationship="guarantor")
    assert judge(proposed).decision is Decision.ALLOWED


def test_a_spouse_is_a_related_party_only_when_the_debt_is_marked_joint() -> None:
    """C10 ch. 3 (related third party) and C2 art. 1064 (joint spousal debt)."""
    proposed = contact(
        2, "10:00", party="third_party:SP-1", relationship="spouse", debt_ids=["CC-1"]
    )
    assert judge(proposed).decision is Decision.BLOCKED
    joint = {
        "datetime": at(1, "10:00"),
        "channel": "data_update",
        "update": "joint_spousal_debt",
        "party": "third_party:SP-1",
        "debt_ids": ["CC-1"],
    }
    assert judge(proposed, [joint]).decision is Decision.ALLOWED
    other_debt = {**proposed, "debt_ids": ["CC-2"]}
    assert judge(other_debt, [joint]).decision is Decision.BLOCKED


# --- Outsourcing notice ------------------------------------------------------------------------


def test_an_agency_may_not_call_before_the_debtor_is_told_of_the_outsourcing() -> None:
    """C6 art. 41: tell the debtor before handing collection to an outside agency."""
    proposed = contact(2, "10:00", caller="agency:A", debt_ids=["CC-1"])
    verdict = judge(proposed)
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {"CN-BANK-C6-41-OUTSOURCING-NOTICE"}
    assert judge(proposed, [notice()]).decision is Decision.ALLOWED
    assert judge(proposed, [notice(debt_ids=["CC-1"])]).decision is Decision.ALLOWED
    assert judge(proposed, [notice(debt_ids=["CC-2"])]).decision is Decision.BLOCKED
    returned = notice(status="returned_undeliverable")
    assert judge(proposed, [returned]).decision is Decision.BLOCKED
    # The lender's own calls need no notice.
    assert judge(contact(2, "10:00", debt_ids=["CC-1"])).decision is Decision.ALLOWED


# --- Holds -------------------------------------------------------------------------------------


def hold(kind: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    return {"datetime": at(day, "12:00"), "channel": "hold", "content_type": kind, **extra}


@pytest.mark.parametrize(
    "kind", ["dispute", "complaint", "deceased", "bankruptcy", "litigation_hold"]
)
def test_a_hold_stops_collection_until_it_is_lifted(kind: str) -> None:
    """C10 and C5 (complaints), C9 §5.6; deceased, bankruptcy and litigation stop states."""
    verdict = judge(contact(2, "10:00"), [hold(kind)])
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {"CN-CBA-2026-HOLD"}
    lifted = hold(kind, day=2, status="lifted")
    assert judge(contact(3, "10:00"), [hold(kind), lifted]).decision is Decision.ALLOWED


def test_a_dispute_about_one_debt_holds_only_that_debt_but_a_death_holds_all() -> None:
    """C10; C5: holds follow the debt they concern; deceased covers the person."""
    disputed = hold("dispute", debt_ids=["CC-1"])
    assert judge(contact(2, "10:00", debt_ids=["CC-1"]), [disputed]).decision is Decision.BLOCKED
    assert judge(contact(2, "10:00", debt_ids=["CC-2"]), [disputed]).decision is Decision.ALLOWED
    died = hold("deceased", debt_ids=["CC-1"])
    assert judge(contact(2, "10:00", debt_ids=["CC-2"]), [died]).decision is Decision.BLOCKED


# --- Public posting and letter content ---------------------------------------------------------


def test_posting_the_debt_publicly_is_blocked() -> None:
    """C10 (no public collection notices); C8 item 4; C1 art. 25 (no public disclosure)."""
    verdict = judge(contact(2, "10:00", "social_media", visibility="public"))
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {"CN-CBA-2026-PUBLIC-POSTING", "CN-PIPL-25-PUBLIC-DISCLOSURE"}
    assert judge(contact(2, "10:00", "social_media", visibility="private")).allowed


def test_a_letter_at_the_workplace_or_with_debt_on_the_envelope_is_blocked() -> None:
    """C10; C8 item 4: nothing that announces the debt to colleagues or the post room."""
    at_work = contact(2, "10:00", "visit", location="work", discloses_debt=True)
    assert "CN-CBA-2026-PUBLIC-POSTING" in rules(judge(at_work))
    body = "某某银行信用卡中心（工号A123）提醒您还款。"
    envelope = contact(2, "10:00", "letter", content=body, envelope_text="逾期催收通知")
    assert rules(judge(envelope)) == {"CN-CBA-2026-PUBLIC-POSTING"}


def test_an_sms_must_name_the_institution_and_should_name_the_collector_and_purpose() -> None:
    """C10 (state the institution, collector ID and purpose); C4 art. 69 (letter elements)."""
    complete = "【某某银行】您好，工号A123提醒您本期账单已逾期，请及时还款。"
    assert judge(contact(2, "10:00", "sms", content=complete)) == Verdict(Decision.ALLOWED)
    anonymous = "您好，工号A123提醒您本期账单已逾期，请及时还款。"
    verdict = judge(contact(2, "10:00", "sms", content=anonymous))
    assert verdict.decision is Decision.BLOCKED
    assert rules(verdict) == {"CN-CBA-2026-IDENTITY-ELEMENTS"}
    no_agent = "【某某银行】您好，您本期账单已逾期，请及时还款。"
    verdict = judge(contact(2, "10:00", "sms", content=no_agent))
    assert verdict.decision is Decision.ALLOWED
    assert [w.rule_id for w in verdict.warnings] == ["CN-CBA-2026-IDENTITY-ELEMENTS"]
    assert "工号" in verdict.warnings[0].message_zh


# --- The packs ---------------------------------------------------------------------------------


def test_the_four_cn_packs_are_versioned_and_dated() -> None:
    """Rules §3.1: versioned, dated packs; every decision names pack, version and rule id."""
    summary = {(p.code, p.version, str(p.effective), p.jurisdiction) for p in CN_PACKS}
    assert summary == {
        ("CN-CBA-2026", "2026-01-30", "2026-01-30", "CN"),
        ("CN-GBT45251-2025", "2025-02-28", "2025-02-28", "CN"),
        ("CN-bank-base", "2023-03-01", "2011-01-01", "CN"),
        ("CN-PIPL", "2021-11-01", "2021-11-01", "CN"),
    }
    ids = [rule.rule_id for pack in CN_PACKS for rule in pack.rules]
    assert len(ids) == len(set(ids))
    assert {
        "CN-CBA-2026-QUIET-HOURS",
        "CN-CBA-2026-UNANSWERED-6",
        "CN-GBT-45251-VOICE-NOTICE-3",
        "CN-CBA-2026-VISIT-2",
        "CN-BANK-C6-41-OUTSOURCING-NOTICE",
        "CN-PIPL-23-DISCLOSURE",
    } <= set(ids)


def test_a_check_with_a_thousand_earlier_events_gives_the_same_answer() -> None:
    """C10 ch. 3: a long history (1,000 attempts over 50 days) is still counted per day."""
    events = [
        call(1, "09:00", number=f"1380000{i % 7:04d}") | {"datetime": moment}
        for i, moment in enumerate(
            (datetime(2026, 1, 10, 9, tzinfo=BEIJING) + timedelta(hours=i)).isoformat()
            for i in range(1000)
        )
    ]
    events += six_unanswered(day=2)
    verdict = judge(contact(2, "16:00"), events)
    assert verdict.decision is Decision.DEFERRED
    assert rules(verdict) == {"CN-CBA-2026-UNANSWERED-6"}


# --- Properties --------------------------------------------------------------------------------

START = datetime(2026, 3, 1, 0, 0, tzinfo=BEIJING)
NUMBERS = [MOBILE, OFFICE, "13700009999"]
OUTCOMES = [
    "unanswered",
    "busy",
    "not_in_service",
    "conversation",
    "connected_voice_notice",
    "voicemail_no_message",
]


def _moment(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat()


phone_events = st.builds(
    lambda minutes, number, outcome, caller, call_type: {
        "datetime": _moment(minutes),
        "channel": "phone",
        "direction": "outbound",
        "party": "consumer",
        "to_number": number,
        "outcome": outcome,
        "caller": caller,
        "call_type": call_type,
    },
    st.integers(0, 3 * 24 * 60),
    st.sampled_from(NUMBERS),
    st.sampled_from(OUTCOMES),
    st.sampled_from(["lender", "agency:A"]),
    st.sampled_from(["agent", "voice_notice"]),
)
other_events = st.one_of(
    st.builds(
        lambda minutes, kind, status: {
            "datetime": _moment(minutes),
            "channel": "hold",
            "content_type": kind,
            **({"status": status} if status else {}),
        },
        st.integers(0, 3 * 24 * 60),
        st.sampled_from(["dispute", "complaint"]),
        st.sampled_from([None, "lifted"]),
    ),
    st.builds(lambda minutes: notice() | {"datetime": _moment(minutes)}, st.integers(0, 4000)),
    st.builds(
        lambda minutes: {
            "datetime": _moment(minutes),
            "channel": "data_update",
            "update": "number_invalid",
            "to_number": MOBILE,
        },
        st.integers(0, 4000),
    ),
)
consent_events = st.builds(
    lambda minutes, kind, call_at: {
        "datetime": _moment(minutes),
        "channel": "consent",
        "party": "consumer",
        "consent_type": kind,
        **({"consent_to_call_at": call_at} if call_at else {}),
    },
    st.integers(0, 4000),
    st.sampled_from(["inconvenient_time", "additional_calls"]),
    st.sampled_from([None, "22:30", "23:00-23:59"]),
)


@st.composite
def proposals(draw: st.DrawFn, minutes: st.SearchStrategy[int], consumer_only: bool) -> Any:
    channel = draw(st.sampled_from(["phone", "sms", "im", "visit", "email", "letter"]))
    party = "consumer" if consumer_only else draw(st.sampled_from(["consumer", FRIEND]))
    proposed: dict[str, Any] = {
        "datetime": _moment(draw(minutes)),
        "channel": channel,
        "direction": "outbound",
        "party": party,
        "caller": draw(st.sampled_from(["lender", "agency:A"])),
        "purpose": draw(st.sampled_from(["collection", "locate_or_relay_message"])),
    }
    if channel == "phone":
        proposed["to_number"] = draw(st.sampled_from(NUMBERS))
        proposed["call_type"] = draw(st.sampled_from(["agent", "voice_notice"]))
    if channel == "visit":
        proposed["collector_count"] = draw(st.integers(1, 3))
    if party != "consumer":
        proposed["relationship"] = "emergency_contact"
    return proposed


def _quiet_minutes() -> st.SearchStrategy[int]:
    """Minutes after 1 March 00:00 whose Beijing clock lies in 22:00–08:00."""
    return st.builds(
        lambda day, offset: day * 24 * 60 + 22 * 60 + offset, st.integers(0, 3), st.integers(0, 599)
    )


@given(
    proposed=proposals(_quiet_minutes(), consumer_only=False),
    events=st.lists(st.one_of(phone_events, other_events), max_size=25),
)
def test_nothing_between_ten_at_night_and_eight_in_the_morning_is_allowed_without_consent(
    proposed: dict[str, Any], events: list[dict[str, Any]]
) -> None:
    """C10 ch. 3 and C9: whatever else happened, no consent means no contact in quiet hours."""
    assert judge(proposed, events).decision is not Decision.ALLOWED


@given(
    proposed=proposals(st.integers(24 * 60, 3 * 24 * 60), consumer_only=True),
    events=st.lists(st.one_of(phone_events, other_events), max_size=25),
    extra=st.lists(
        st.tuples(st.integers(1, 2 * 24 * 60), st.sampled_from(NUMBERS), st.sampled_from(OUTCOMES)),
        min_size=1,
        max_size=12,
    ),
)
def test_more_earlier_attempts_never_turn_a_stopped_contact_into_an_allowed_one(
    proposed: dict[str, Any],
    events: list[dict[str, Any]],
    extra: list[tuple[int, str, str]],
) -> None:
    """C10 ch. 3 and C9 caps only ever tighten as attempts accumulate (consent aside).

    Contacts to the debtor: for an emergency contact, failed attempts are exactly what makes
    the debtor unreachable (失联) and the contact permissible, by design.
    """
    before = judge(proposed, events)
    if before.allowed:
        return
    moment = datetime.fromisoformat(proposed["datetime"])
    attempts = [
        {
            "datetime": (moment - timedelta(minutes=back)).isoformat(),
            "channel": "phone",
            "direction": "outbound",
            "party": "consumer",
            "to_number": number,
            "outcome": outcome,
            "call_type": "voice_notice",
        }
        for back, number, outcome in extra
    ]
    assert not judge(proposed, events + attempts).allowed


@given(
    proposed=proposals(st.integers(0, 4 * 24 * 60), consumer_only=False),
    events=st.lists(st.one_of(phone_events, other_events, consent_events), max_size=25),
    data=st.data(),
)
def test_the_verdict_does_not_depend_on_the_order_events_are_listed_in(
    proposed: dict[str, Any], events: list[dict[str, Any]], data: st.DataObject
) -> None:
    """Rules §3.1: every decision is reproducible from the facts, whatever their order."""
    shuffled = data.draw(st.permutations(events))
    assert judge(proposed, events).as_json() == judge(proposed, list(shuffled)).as_json()
