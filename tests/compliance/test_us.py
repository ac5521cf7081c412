"""The US Regulation F pack: every rule on the worked examples of 12 CFR part 1006 and its
official interpretations (Supplement I). The commentary names no year; its dates are read in the
2026 calendar (Wednesday 1 April, Thursday 13 August, Monday 9 November …), as
COMPLIANCE-RULES.md §2.1 explains. Eastern times in April-October 2026 are UTC-04:00."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.compliance.engine import check
from huikuan.compliance.request import RequestError, parse_request
from huikuan.compliance.us import (
    AFTER_CONVERSATION,
    ATTORNEY,
    CEASE,
    CUMULATIVE,
    DISCLOSURE,
    DISPUTE,
    EMAIL_ADDRESS,
    EMPLOYER,
    EMPLOYER_EMAIL,
    ENVELOPE,
    FEDERAL,
    FURNISHING,
    HOLD,
    LOCATION_FORM,
    LOCATION_ONCE,
    MEDIUM,
    OPT_OUT_NOTICE,
    ORIGINAL_CREDITOR,
    PATTERN,
    PLACE,
    POSTCARD,
    SEVEN_IN_SEVEN,
    SOCIAL_MEDIA,
    TEXT_NUMBER,
    THIRD_PARTY,
    TIME,
    TIME_BARRED,
    US_PACK,
    USParams,
    add_us_business_days,
    us_federal_holidays,
    us_pack,
    validation_period_end,
)
from huikuan.compliance.verdict import Decision, Verdict

NY = ZoneInfo("America/New_York")
INITIAL = (
    "We are attempting to collect a debt and any information obtained will be used for that "
    "purpose."
)
LATER = "This communication is from a debt collector."


def at(day: str, clock: str = "10:00", offset: str = "-04:00") -> str:
    return f"{day}T{clock}:00{offset}"


def call(day: str, clock: str = "10:00", **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "datetime": at(day, clock),
        "channel": "phone",
        "direction": "outbound",
        "party": "consumer",
        "debt_ids": ["CC-1"],
        "outcome": "unanswered",
        "to_number": "mobile-1",
    }
    event.update(fields)
    return event


def message(day: str, clock: str = "10:00", channel: str = "letter", **fields: Any) -> dict:
    event: dict[str, Any] = {
        "datetime": at(day, clock),
        "channel": channel,
        "direction": "outbound",
        "party": "consumer",
        "debt_ids": ["CC-1"],
    }
    event.update(fields)
    return event


def request(
    proposed: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    debtor: dict[str, Any] | None = None,
    debts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "jurisdiction": "US",
        "debtor": {"timezone": "America/New_York", **(debtor or {})},
        "debts": debts if debts is not None else [{"id": "CC-1"}],
        "events": events or [],
        "proposed": proposed,
    }


def verdict(
    proposed: dict[str, Any],
    events: list[dict[str, Any]] | None = None,
    debtor: dict[str, Any] | None = None,
    debts: list[dict[str, Any]] | None = None,
    pack: Any = US_PACK,
) -> Verdict:
    return check(parse_request(request(proposed, events, debtor, debts)), [pack])


def rules(result: Verdict) -> set[str]:
    return {reason.rule_id for reason in result.reasons}


def warned(result: Verdict) -> set[str]:
    return {warning.rule_id for warning in result.warnings}


def local(result: Verdict) -> datetime:
    assert result.next_allowed_at is not None
    return result.next_allowed_at.astimezone(NY)


# ---------------------------------------------------------------------------------------------
# The pack and its parameters
# ---------------------------------------------------------------------------------------------
def test_pack_identity() -> None:
    """COMPLIANCE-RULES.md §3.1: a versioned, dated pack; every decision names the rule id."""
    assert (US_PACK.code, US_PACK.version, US_PACK.jurisdiction) == ("US-RegF", "2021-11-30", "US")
    assert US_PACK.effective == date(2021, 11, 30)
    ids = {rule.rule_id for rule in US_PACK.rules}
    assert {TIME, SEVEN_IN_SEVEN, AFTER_CONVERSATION, MEDIUM, DISCLOSURE, FURNISHING} <= ids
    assert all(rule_id.startswith("US-REGF-") for rule_id in ids)


def test_pack_not_in_force_before_effective_date() -> None:
    """§1006 effective 2021-11-30: the pack does not judge earlier contacts."""
    result = verdict(call("2021-11-29", "23:00"))
    assert result.allowed


def test_params_defaults_are_the_federal_numbers() -> None:
    """§1006.14(b)(2)(i), §1006.6(b)(1)(i), §1006.34(b)(5), cmt. 30(a)(1)-2, cmt. 14(b)(2)(i)-2."""
    params = USParams()
    assert (params.calls_cap, params.calls_window_days, params.conversation_cooldown_days) == (
        7,
        7,
        7,
    )
    assert (params.window_start, params.window_end, params.window_end_inclusive) == (
        time(8),
        time(21),
        True,
    )
    assert params.validation_receipt_business_days == 5
    assert params.furnishing_wait_days == 14
    assert params.sms_per_day is None
    assert params.email_per_day is None
    assert (params.rapid_calls, params.rapid_window) == (2, timedelta(minutes=5))
    assert params.concentrated_calls_per_day == 7


def test_overlay_may_only_tighten() -> None:
    """§1006.104: a stricter state law still applies; an overlay never loosens Reg F."""
    state = USParams(calls_cap=3, window_end=time(20), sms_per_day=3)
    assert state.loosened(FEDERAL) == ()
    combined = FEDERAL.tighten(USParams(calls_cap=9, window_start=time(9), email_per_day=2))
    assert (combined.calls_cap, combined.window_start, combined.email_per_day) == (
        7,
        time(9),
        2,
    )
    assert USParams(calls_cap=9).loosened(FEDERAL) == ("calls_cap",)
    with pytest.raises(ValueError, match="calls_cap"):
        us_pack(USParams(calls_cap=9))
    with pytest.raises(ValueError, match="window_end"):
        us_pack(USParams(window_end=time(22)))


def test_state_overlay_applies_its_tighter_numbers() -> None:
    """§1006.104: a state cap of 3 calls in 7 days defers the fourth; the federal pack allows it."""
    overlay = us_pack(USParams(calls_cap=3), code="US-XX")
    events = [call("2026-04-01"), call("2026-04-02"), call("2026-04-03")]
    proposed = call("2026-04-04")
    assert verdict(proposed, events).allowed
    result = verdict(proposed, events, pack=overlay)
    assert result.decision is Decision.DEFERRED
    assert result.reasons[0].pack == "US-XX"
    assert local(result) == datetime(2026, 4, 8, 8, tzinfo=NY)


def test_validation_period_skips_weekends_and_federal_holidays() -> None:
    """§1006.34(b)(5): receipt 5 days after, excluding 5 U.S.C. 6103(a) holidays, Saturdays and
    Sundays; the period ends 30 days after receipt."""
    assert date(2026, 11, 26) in us_federal_holidays(2026)  # Thanksgiving
    assert date(2026, 7, 3) in us_federal_holidays(2026)  # 4 July on a Saturday, observed Friday
    assert add_us_business_days(date(2026, 11, 25), 5) == date(2026, 12, 3)
    assert validation_period_end(date(2026, 11, 25)) == date(2027, 1, 2)
    assert validation_period_end(date(2026, 4, 1)) == date(2026, 5, 8)


# ---------------------------------------------------------------------------------------------
# §1006.6(b)(1)(i): inconvenient times
# ---------------------------------------------------------------------------------------------
def test_before_eight_is_deferred_to_eight() -> None:
    """§1006.6(b)(1)(i): before 8:00 a.m. local time is inconvenient."""
    result = verdict(call("2026-04-01", "07:59"))
    assert result.decision is Decision.DEFERRED
    assert rules(result) == {TIME}
    assert local(result) == datetime(2026, 4, 1, 8, tzinfo=NY)
    assert "07:59" in result.reasons[0].message
    assert "07:59" in result.reasons[0].message_zh


def test_nine_pm_is_allowed_and_later_deferred_to_next_morning() -> None:
    """§1006.6(b)(1)(i): after 9:00 p.m. is inconvenient; 21:00 itself is not (§3.2)."""
    assert verdict(call("2026-04-01", "21:00")).allowed
    result = verdict(call("2026-04-01", "21:01"))
    assert local(result) == datetime(2026, 4, 2, 8, tzinfo=NY)


def test_electronic_message_time_is_when_sent() -> None:
    """cmt. 6(b)(1)(i)-1: an email or text occurs when sent, not when read; letters are mailed
    and not time-bound."""
    text = message(
        "2026-04-01", "22:30", channel="sms", to_number="mobile-1", content=f"{INITIAL} Reply STOP"
    )
    assert verdict(text).decision is Decision.DEFERRED
    letter = message("2026-04-01", "23:30", content=INITIAL)
    assert verdict(letter).allowed


def test_eastern_mobile_pacific_address() -> None:
    """cmt. 6(b)(1)(i)-2.i: Eastern mobile, Pacific address: 11:00 a.m. to 9:00 p.m. ET."""
    debtor = {
        "timezone": "America/New_York",
        "location_signals": [
            {"type": "mobile_area_code", "timezone": "America/New_York"},
            {"type": "residential_address", "timezone": "America/Los_Angeles"},
        ],
    }
    early = verdict(call("2026-04-01", "10:30"), debtor=debtor)
    assert local(early) == datetime(2026, 4, 1, 11, tzinfo=NY)
    assert verdict(call("2026-04-01", "11:00"), debtor=debtor).allowed
    assert verdict(call("2026-04-01", "21:00"), debtor=debtor).allowed
    late = verdict(call("2026-04-01", "21:05"), debtor=debtor)
    assert local(late) == datetime(2026, 4, 2, 11, tzinfo=NY)


def test_eastern_mobile_mountain_landline() -> None:
    """cmt. 6(b)(1)(i)-2.ii: Eastern mobile, Mountain landline: 10:00 a.m. to 9:00 p.m. ET."""
    debtor = {
        "timezone": None,
        "location_signals": [
            {"type": "mobile_area_code", "timezone": "America/New_York"},
            {"type": "landline_area_code", "timezone": "America/Denver"},
        ],
    }
    assert local(verdict(call("2026-04-01", "09:59"), debtor=debtor)) == datetime(
        2026, 4, 1, 10, tzinfo=NY
    )
    assert verdict(call("2026-04-01", "10:00"), debtor=debtor).allowed


def test_unknown_location_uses_every_default_zone() -> None:
    """cmt. 6(b)(1)(i)-2: with no location information at all, the guard intersects the
    configured default zones (Eastern to Pacific): 11:00 a.m. to 9:00 p.m. Eastern."""
    debtor = {"timezone": None}
    assert local(verdict(call("2026-04-01", "10:30"), debtor=debtor)) == datetime(
        2026, 4, 1, 11, tzinfo=NY
    )
    with pytest.raises(RequestError, match="Mars/Olympus"):
        verdict(call("2026-04-01"), debtor={"timezone": "Mars/Olympus"})


def test_consent_given_directly_lifts_quiet_hours() -> None:
    """§1006.6(b)(4)(i), cmt. 6(b)(4)(i)-2: prior consent given directly to the collector lifts
    the time ban; consent given to the creditor does not."""
    consent = {
        "datetime": at("2026-04-01", "12:00"),
        "channel": "consent",
        "party": "consumer",
        "consent_type": "inconvenient_time",
        "given_directly_to_collector": True,
        "consent_valid_dates": ["2026-04-01"],
        "consent_to_call_at": "21:30-22:30",
    }
    assert verdict(call("2026-04-01", "22:00"), [consent]).allowed
    assert verdict(call("2026-04-01", "23:00"), [consent]).decision is Decision.DEFERRED
    assert verdict(call("2026-04-02", "22:00"), [consent]).decision is Decision.DEFERRED
    to_creditor = {**consent, "given_directly_to_collector": False}
    assert verdict(call("2026-04-01", "22:00"), [to_creditor]).decision is Decision.DEFERRED


def test_creditor_notes_tuesdays_and_thursdays() -> None:
    """cmt. 6(b)(1)-1.i: creditor notes say the consumer cannot be disturbed on Tuesdays and
    Thursdays through the end of the calendar year."""
    debtor = {
        "inconvenient_times": [
            {"weekdays": ["TUE", "THU"], "until": "2026-12-31", "source": "creditor_notes"}
        ]
    }
    tuesday = verdict(call("2026-04-07"), debtor=debtor)
    assert tuesday.decision is Decision.DEFERRED
    assert rules(tuesday) == {TIME}
    assert local(tuesday) == datetime(2026, 4, 8, 8, tzinfo=NY)
    assert verdict(call("2026-04-08"), debtor=debtor).allowed
    next_year = at("2027-01-05", "10:00", "-05:00")
    assert verdict({**call("2027-01-05"), "datetime": next_year}, debtor=debtor).allowed


def test_weekday_afternoons_and_weekends() -> None:
    """cmt. 6(b)(1)-1.ii: weekdays 3:00-5:00 p.m. and all weekend are inconvenient."""
    debtor = {
        "inconvenient_times": [
            {"weekdays": ["MON", "TUE", "WED", "THU", "FRI"], "from": "15:00", "to": "17:00"},
            {"weekdays": ["SAT", "SUN"]},
        ]
    }
    wednesday = verdict(call("2026-04-01", "15:30"), debtor=debtor)
    assert local(wednesday) == datetime(2026, 4, 1, 17, tzinfo=NY)
    saturday = verdict(call("2026-04-04", "11:00"), debtor=debtor)
    assert local(saturday) == datetime(2026, 4, 6, 8, tzinfo=NY)
    assert verdict(call("2026-04-01", "17:00"), debtor=debtor).allowed


def test_consumer_initiated_email_at_designated_time_answered_once() -> None:
    """cmt. 6(b)(1)-2.i: the consumer emails at 3:30 p.m. on Wednesday, a designated time; the
    collector may respond once by email before 5:00 p.m., not again."""
    debtor = {
        "inconvenient_times": [
            {"weekdays": ["MON", "TUE", "WED", "THU", "FRI"], "from": "15:00", "to": "17:00"}
        ]
    }
    inbound = {
        "datetime": at("2026-04-01", "15:30"),
        "channel": "email",
        "direction": "inbound",
        "party": "consumer",
        "from_address": "c@example.com",
        "debt_ids": ["CC-1"],
    }
    reply = message(
        "2026-04-01",
        "15:40",
        channel="email",
        to_address="c@example.com",
        address_basis="consumer_used",
        in_reply_to_consumer_message=True,
        content=f"{INITIAL} To opt out of emails, reply STOP.",
    )
    assert verdict(reply, [inbound], debtor=debtor).allowed
    sent = {**reply, "datetime": at("2026-04-01", "15:40")}
    second = {**reply, "datetime": at("2026-04-01", "15:50")}
    assert verdict(second, [inbound, sent], debtor=debtor).decision is Decision.DEFERRED
    by_phone = {**call("2026-04-01", "15:45"), "in_reply_to_consumer_message": True}
    assert verdict(by_phone, [inbound], debtor=debtor).decision is Decision.DEFERRED


# ---------------------------------------------------------------------------------------------
# §1006.6(b)(1)(ii), (b)(2), (b)(3): places, attorney, employer
# ---------------------------------------------------------------------------------------------
HOME = {
    "inconvenient_places": ["home"],
    "numbers": {"home-landline": {"place": "home"}, "12 Elm St": {"place": "home"}},
}


def test_home_designated_inconvenient() -> None:
    """cmt. 6(b)(1)-1.iii and 6(b)(1)(ii)-1.i: the home landline and home mail are barred; a
    mobile phone and email are not, unless the collector knows the consumer is at home."""
    landline = verdict(call("2026-04-01", to_number="home-landline"), debtor=HOME)
    assert landline.decision is Decision.BLOCKED
    assert rules(landline) == {PLACE}
    mail = message("2026-04-01", to_address="12 Elm St", content=INITIAL)
    assert rules(verdict(mail, debtor=HOME)) == {PLACE}
    assert verdict(call("2026-04-01"), debtor=HOME).allowed
    known_home = call("2026-04-01", number_place="home")
    assert verdict(known_home, debtor=HOME).decision is Decision.BLOCKED


def test_consumer_calls_from_home_landline_answered_once() -> None:
    """cmt. 6(b)(1)-2.ii: the consumer calls from the home landline; the collector may respond
    once on that medium."""
    inbound = {
        "datetime": at("2026-04-01", "09:55"),
        "channel": "phone",
        "direction": "inbound",
        "party": "consumer",
        "from_number": "home-landline",
        "outcome": "unanswered",
    }
    reply = call("2026-04-01", to_number="home-landline", in_reply_to_consumer_message=True)
    assert verdict(reply, [inbound], debtor=HOME).allowed


def test_attorney_representation_blocks_consumer_contacts() -> None:
    """§1006.6(b)(2): the consumer is represented about CC-1 and the attorney is known; calls to
    the consumer about CC-1 are blocked, calls to the attorney and about other debts are not."""
    debtor = {"represented_by_attorney": {"debt_ids": ["CC-1"], "since": "2026-03-01"}}
    debts = [{"id": "CC-1"}, {"id": "MED-1"}]
    blocked = verdict(call("2026-04-01"), debtor=debtor, debts=debts)
    assert blocked.decision is Decision.BLOCKED
    assert rules(blocked) == {ATTORNEY}
    assert "CC-1" in blocked.reasons[0].message
    attorney = call("2026-04-01", party="consumer_attorney", to_number="law-1")
    assert verdict(attorney, debtor=debtor, debts=debts).allowed
    other = call("2026-04-01", debt_ids=["MED-1"])
    assert verdict(other, debtor=debtor, debts=debts).allowed


def test_represented_consumer_may_be_answered_once() -> None:
    """cmt. 6(b)(2)-1: a consumer-initiated communication is consent to that communication; the
    collector may respond, then must stop."""
    debtor = {"represented_by_attorney": {"debt_ids": ["CC-1"]}}
    inbound = {
        "datetime": at("2026-04-01", "09:00"),
        "channel": "email",
        "direction": "inbound",
        "party": "consumer",
        "from_address": "c@example.com",
    }
    reply = message(
        "2026-04-01",
        channel="email",
        to_address="c@example.com",
        address_basis="consumer_used",
        in_reply_to_consumer_message=True,
        content=f"{INITIAL} Reply STOP to opt out of email.",
    )
    assert verdict(reply, [inbound], debtor=debtor).allowed
    answered = {**reply, "datetime": at("2026-04-01", "09:30")}
    assert rules(verdict(reply, [inbound, answered], debtor=debtor)) == {ATTORNEY}


def test_location_contacts_go_only_to_the_attorney() -> None:
    """§1006.10(b)(5): once the attorney is known, location information only from the attorney."""
    debtor = {"represented_by_attorney": {"debt_ids": ["CC-1"]}}
    locate = call("2026-04-01", party="third_party:neighbor", purpose="location_information")
    assert rules(verdict(locate, debtor=debtor)) == {LOCATION_FORM}


def test_employer_prohibits_contact_at_work() -> None:
    """§1006.6(b)(3), cmt. 6(b)(3)-1: "I can't take personal calls at work"."""
    debtor = {"employer_prohibits_contact": True, "numbers": {"desk": {"place": "work"}}}
    assert rules(verdict(call("2026-04-01", to_number="desk"), debtor=debtor)) == {EMPLOYER}
    assert verdict(call("2026-04-01"), debtor=debtor).allowed
    email = message(
        "2026-04-01",
        channel="email",
        to_address="c@employer.com",
        address_basis="consumer_used",
        address_known_employer_provided=True,
        content=f"{INITIAL} Reply STOP to opt out.",
    )
    assert rules(verdict(email, debtor=debtor)) == {EMPLOYER}


# ---------------------------------------------------------------------------------------------
# §1006.6(c): cease communication and refusal to pay
# ---------------------------------------------------------------------------------------------
CEASE_LETTER = {
    "datetime": at("2026-08-06", "09:00"),
    "channel": "letter",
    "direction": "inbound",
    "party": "consumer",
    "content_type": "cease_communication",
    "debt_ids": ["CC-1"],
}


def test_written_cease_notice_blocks_further_communication() -> None:
    """§1006.6(c)(1): after a written cease notice only the (c)(2) notices may be sent."""
    result = verdict(call("2026-08-10"), [CEASE_LETTER])
    assert result.decision is Decision.BLOCKED
    assert rules(result) == {CEASE}
    ending = message(
        "2026-08-10", content_type="termination_of_efforts_notice", content=f"{INITIAL} We stop."
    )
    assert verdict(ending, [CEASE_LETTER]).allowed
    refusal = {**CEASE_LETTER, "content_type": "refusal_to_pay", "channel": "email"}
    assert rules(verdict(call("2026-08-10"), [refusal])) == {CEASE}


def test_cease_takes_effect_on_receipt() -> None:
    """cmt. 6(c)(1)-1.i: mailed August 3, received August 6; an email on August 4 is fine."""
    email = message(
        "2026-08-04",
        channel="email",
        to_address="c@example.com",
        address_basis="consumer_used",
        content=f"{INITIAL} Reply STOP to opt out.",
    )
    assert verdict(email, [CEASE_LETTER]).allowed


def test_oral_cease_request_is_not_a_written_notice() -> None:
    """§1006.6(c)(1) needs writing; an oral "stop calling" is a §1006.14(h) medium request."""
    oral = {**CEASE_LETTER, "channel": "phone", "outcome": "conversation"}
    result = verdict(call("2026-08-20"), [oral])
    assert CEASE not in rules(result)


# ---------------------------------------------------------------------------------------------
# §1006.6(d) and §1006.10: third parties and location information
# ---------------------------------------------------------------------------------------------
def test_third_party_only_for_location_information() -> None:
    """§1006.6(d)(1)-(2)(i): a third party may be contacted only to acquire location information."""
    relay = call("2026-04-01", party="third_party:sister", to_number="sis", purpose="collection")
    assert rules(verdict(relay)) == {THIRD_PARTY}
    locate = {**relay, "purpose": "location_information"}
    assert verdict(locate).allowed
    consent = {
        "datetime": at("2026-03-30"),
        "channel": "consent",
        "party": "consumer",
        "consent_type": "third_party_contact",
        "given_directly_to_collector": True,
    }
    assert verdict(relay, [consent]).allowed


def test_location_contact_never_discloses_the_debt() -> None:
    """§1006.10(b)(2): do not state that the consumer owes any debt."""
    locate = call(
        "2026-04-01",
        party="third_party:sister",
        to_number="sis",
        purpose="location_information",
        discloses_debt=True,
    )
    assert rules(verdict(locate)) == {LOCATION_FORM}


def test_location_source_contacted_once_unless_asked() -> None:
    """§1006.10(c): not more than once with such person unless requested by that person."""
    first = call(
        "2026-04-01",
        party="third_party:sister",
        to_number="sis",
        purpose="location_information",
        outcome="conversation",
    )
    again = {**first, "datetime": at("2026-04-09"), "outcome": None}
    assert rules(verdict(again, [first])) == {LOCATION_ONCE}
    asked = {
        "datetime": at("2026-04-08"),
        "channel": "sms",
        "direction": "inbound",
        "party": "third_party:sister",
        "from_number": "sis",
    }
    assert verdict(again, [first, asked]).allowed


def test_unanswered_location_calls_within_the_frequency() -> None:
    """cmt. 14(b)(2)(i)-1.iii: from Tuesday, October 6, seven unanswered calls to a third party
    through Monday, October 12, are presumed to comply; no communication took place."""
    third = {"party": "third_party:sister", "to_number": "sis", "purpose": "location_information"}
    days = ["2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-11"]
    events = [call(day, **third) for day in days]
    assert verdict(call("2026-10-12", **third), events).allowed
    eighth = verdict(call("2026-10-12", "11:00", **third), [*events, call("2026-10-12", **third)])
    assert rules(eighth) == {SEVEN_IN_SEVEN}


# ---------------------------------------------------------------------------------------------
# Electronic communications: §1006.6(d)(4)-(5), §1006.6(e), §1006.22(f)(3)
# ---------------------------------------------------------------------------------------------
def email(day: str = "2026-04-01", **fields: Any) -> dict[str, Any]:
    base = {
        "to_address": "c@example.com",
        "address_basis": "consumer_used",
        "content": f"{INITIAL} To stop emails to this address, reply STOP.",
    }
    return message(day, channel="email", **{**base, **fields})


def test_email_needs_an_address_basis() -> None:
    """§1006.6(d)(3)-(4): only addresses the consumer used or consented to, or the creditor's or
    prior collector's procedures."""
    assert verdict(email()).allowed
    assert rules(verdict(email(address_basis="none"))) == {EMAIL_ADDRESS}
    missing = verdict(email(address_basis=None))
    assert missing.allowed
    assert EMAIL_ADDRESS in warned(missing)


def test_creditor_provided_address_after_the_opt_out_period() -> None:
    """§1006.6(d)(4)(ii)(C)-(D): the creditor's notice gives at least 35 days to opt out, and the
    period must have expired."""
    notice = {
        "datetime": at("2026-03-01"),
        "channel": "creditor_notice",
        "email_address": "c@example.com",
        "opt_out_deadline": "2026-04-10",
    }
    proposed = email(address_basis="creditor_procedures_6d4ii")
    early = verdict(proposed, [notice])
    assert early.decision is Decision.DEFERRED
    assert rules(early) == {EMAIL_ADDRESS}
    assert local(early) == datetime(2026, 4, 11, 8, tzinfo=NY)
    assert verdict(email("2026-04-11", address_basis="creditor_procedures_6d4ii"), [notice]).allowed
    short = {**notice, "opt_out_deadline": "2026-03-20"}
    assert verdict(proposed, [short]).decision is Decision.BLOCKED
    assert verdict(proposed).decision is Decision.BLOCKED


def test_known_employer_address() -> None:
    """§1006.22(f)(3), cmt. 22(f)(3)-1: no email to an address known to be employer-provided,
    unless the consumer used or consented to it (§1006.6(d)(4)(i))."""
    work = email(to_address="c@employer.com", address_known_employer_provided=True)
    assert verdict(work).allowed
    creditor = {**work, "address_basis": "creditor_procedures_6d4ii"}
    assert EMPLOYER_EMAIL in rules(verdict(creditor))
    prior = {**work, "address_basis": "prior_collector"}
    assert verdict(prior).allowed


def test_every_electronic_message_carries_an_opt_out() -> None:
    """§1006.6(e), cmt. 6(e)-1: e.g. "Reply STOP to stop texts to this telephone number"."""
    text = message(
        "2026-04-01",
        channel="sms",
        to_number="mobile-1",
        content=INITIAL,
        includes_opt_out_instruction=False,
    )
    assert rules(verdict(text)) == {OPT_OUT_NOTICE}
    found = {**text, "includes_opt_out_instruction": None}
    assert rules(verdict(found)) == {OPT_OUT_NOTICE}
    ok = {**found, "content": f"{INITIAL} Reply STOP to stop texts to this telephone number."}
    result = verdict(ok)
    assert result.allowed
    assert TEXT_NUMBER in warned(result)


# ---------------------------------------------------------------------------------------------
# §1006.14(b): call frequency, the worked examples
# ---------------------------------------------------------------------------------------------
APRIL_SEVEN = [
    call("2026-04-01", outcome="voicemail_limited_content"),
    *(call(f"2026-04-0{day}") for day in range(2, 7)),
]


def test_seven_calls_in_seven_days_presumed_compliant() -> None:
    """cmt. 14(b)(2)(i)-1.i: a limited-content message on Wednesday, April 1, six unanswered
    calls April 2-7; the seventh is allowed, and so is a call on Wednesday, April 8."""
    assert len(APRIL_SEVEN) == 6
    assert verdict(call("2026-04-07"), APRIL_SEVEN).allowed
    seventh = call("2026-04-07")
    assert verdict(call("2026-04-08"), [*APRIL_SEVEN, seventh]).allowed


def test_eighth_call_in_seven_days_presumed_violation() -> None:
    """cmt. 14(b)(2)(ii)-1.i: April 1 limited-content message, two calls on each of April 2, 3
    and 6, then a call on Tuesday, April 7: eight calls, a presumed violation."""
    events = [call("2026-04-01", outcome="voicemail_limited_content")]
    for day in ("2026-04-02", "2026-04-03", "2026-04-06"):
        events += [call(day, "10:00"), call(day, "14:00")]
    result = verdict(call("2026-04-07"), events)
    assert result.decision is Decision.DEFERRED
    assert rules(result) == {SEVEN_IN_SEVEN}
    reason = result.reasons[0]
    assert reason.override_eligible
    assert "7 counted calls to the consumer about CC-1 in 2026-04-01..2026-04-07" in reason.message
    assert "第8次" in reason.message_zh
    assert local(result) == datetime(2026, 4, 8, 8, tzinfo=NY)


def test_no_call_within_seven_days_after_conversation() -> None:
    """cmt. 14(b)(2)(ii)-1.ii: unanswered call Tuesday, August 11; conversation Friday, August 14;
    a call before Friday, August 21 is a presumed violation."""
    events = [
        call("2026-08-11"),
        call("2026-08-14", outcome="conversation"),
    ]
    result = verdict(call("2026-08-20", "18:00"), events)
    assert rules(result) == {AFTER_CONVERSATION}
    assert result.reasons[0].override_eligible
    assert "2026-08-14" in result.reasons[0].message
    assert local(result) == datetime(2026, 8, 21, 8, tzinfo=NY)
    assert verdict(call("2026-08-21"), events).allowed


def test_consumer_initiated_conversation_starts_the_cool_down() -> None:
    """cmt. 14(b)(2)(i)-1.ii: the consumer calls on Thursday, August 13; no collector call about
    the debt before Thursday, August 20 keeps the presumption of compliance."""
    inbound = {
        "datetime": at("2026-08-13", "12:00"),
        "channel": "phone",
        "direction": "inbound",
        "party": "consumer",
        "outcome": "conversation",
        "debt_ids": ["CC-1"],
    }
    assert rules(verdict(call("2026-08-19"), [inbound])) == {AFTER_CONVERSATION}
    assert verdict(call("2026-08-20"), [inbound]).allowed


def test_call_back_after_dropped_call() -> None:
    """§2.1 step 3, cmt. 14(b)(2)(ii)-2.iv.A: a call-back after a dropped conversation is a
    presumed violation; completing a dropped settlement talk is a factor that may rebut it."""
    dropped = call("2026-08-14", "10:00", outcome="conversation_dropped")
    back = call("2026-08-14", "10:02")
    result = verdict(back, [dropped])
    assert result.decision is Decision.DEFERRED
    assert rules(result) == {AFTER_CONVERSATION}
    rebutted = verdict({**back, "purpose": "complete_dropped_settlement_conversation"}, [dropped])
    assert rebutted.allowed
    (warning,) = (w for w in rebutted.warnings if w.rule_id == AFTER_CONVERSATION)
    assert warning.override_eligible
    assert PATTERN in warned(rebutted)  # two calls within five minutes


def test_legally_required_call_may_rebut() -> None:
    """cmt. 14(b)(2)(ii)-2.i: the eighth call informs the consumer of loss-mitigation options as
    Regulation X requires: a factor that may rebut the presumption (allowed, documented)."""
    events = [call("2026-04-01", outcome="voicemail_limited_content")]
    for day in ("2026-04-02", "2026-04-03", "2026-04-06"):
        events += [call(day, "10:00"), call(day, "14:00")]
    result = verdict(call("2026-04-07", purpose="legally_required"), events)
    assert result.allowed
    assert SEVEN_IN_SEVEN in warned(result)


def test_one_time_discount_does_not_rebut() -> None:
    """cmt. 14(b)(2)(ii)-2.iv.C: a "one-time only" discount the collector controls does not
    rebut the presumption."""
    events = [call("2026-08-11"), call("2026-08-14", outcome="conversation")]
    result = verdict(call("2026-08-17", purpose="discount_offer_collector_controlled"), events)
    assert result.decision is Decision.DEFERRED
    assert "does not rebut" in result.reasons[0].message


def test_rapid_and_concentrated_calls_are_warned() -> None:
    """cmt. 14(b)(2)(i)-2.i: calls in rapid succession (two to one number within five minutes)
    or highly concentrated (seven to one number in one day) are presumed compliant but may rebut
    that presumption. The comment's own case (April 1, then six on Friday, April 3) stays under
    the configured default of 7 a day; a tighter overlay catches it."""
    events = [call("2026-04-01")] + [call("2026-04-03", f"1{hour}:00") for hour in range(5)]
    sixth = verdict(call("2026-04-03", "16:00"), events)
    assert sixth.allowed
    assert PATTERN not in warned(sixth)
    strict = us_pack(USParams(concentrated_calls_per_day=6), code="US-INST")
    assert PATTERN in warned(verdict(call("2026-04-03", "16:00"), events, pack=strict))
    seven = [call("2026-04-03", f"{hour:02d}:00") for hour in range(9, 15)]
    seventh = verdict(call("2026-04-03", "16:00"), seven)
    assert seventh.allowed
    assert any("highly concentrated" in w.message for w in seventh.warnings)
    rapid = verdict(call("2026-04-01", "10:04"), [call("2026-04-01", "10:00")])
    assert rapid.allowed
    assert "rapid succession" in rapid.warnings[0].message


def test_unconnected_calls_do_not_count() -> None:
    """§1006.14(b)(3)(ii), cmt. 14(b)(3)(ii)-1: busy signals and numbers not in service do not
    connect; ringing, voicemail (even with no message) and answered-then-dropped calls do."""
    busy = [call(f"2026-04-0{day}", outcome="busy") for day in range(1, 8)] + [
        call("2026-04-07", "11:00", outcome="not_in_service")
    ]
    assert verdict(call("2026-04-07", "12:00"), busy).allowed
    connected = [
        call("2026-04-01", outcome="voicemail_no_message"),
        call("2026-04-02", outcome="answered_then_dropped_no_conversation"),
        *(call(f"2026-04-0{day}") for day in range(3, 8)),
    ]
    assert rules(verdict(call("2026-04-07", "12:00"), connected)) == {SEVEN_IN_SEVEN}


def test_ringless_voicemail_counts_as_a_call() -> None:
    """cmt. 14(b)-1: a ringless voicemail is a telephone call; texts and emails are not."""
    events = [
        call(f"2026-04-0{day}", channel="ringless_voicemail", outcome="voicemail_limited_content")
        for day in range(1, 8)
    ]
    assert rules(verdict(call("2026-04-07", "12:00"), events)) == {SEVEN_IN_SEVEN}
    texts = [message(f"2026-04-0{day}", channel="sms", to_number="mobile-1") for day in range(1, 8)]
    assert verdict(call("2026-04-07", "12:00"), texts * 2).allowed


def test_calls_to_the_attorney_are_excluded() -> None:
    """§1006.14(b)(3)(iii): calls to the consumer's attorney, a CRA or the creditor do not count."""
    events = [
        call(f"2026-04-0{day}", party="consumer_attorney", to_number="law") for day in range(1, 8)
    ]
    assert verdict(call("2026-04-07", "12:00"), events).allowed
    assert verdict(call("2026-04-07", "12:00", party="consumer_attorney"), events * 2).allowed


def test_misdirected_number() -> None:
    """cmt. 14(b)(2)(i)-3.i: calls to a number later found to be someone else's are not calls to
    the consumer."""
    events = [call(f"2026-04-0{day}", to_number="wrong-1") for day in range(1, 8)]
    assert rules(verdict(call("2026-04-07", "12:00", to_number="mobile-2"), events)) == {
        SEVEN_IN_SEVEN
    }
    update = {
        "datetime": at("2026-04-07", "11:00"),
        "channel": "data_update",
        "update": "number_reassigned",
        "party": "consumer",
        "to_number": "wrong-1",
    }
    assert verdict(call("2026-04-07", "12:00", to_number="mobile-2"), [*events, update]).allowed


def test_excluded_by_is_honoured() -> None:
    """§1006.14(b)(3): a call the caller knows does not count (``excluded_by``)."""
    events = [call(f"2026-04-0{day}", excluded_by="consent") for day in range(1, 8)]
    assert verdict(call("2026-04-07", "12:00"), events).allowed


# §1006.14(b)(3)(i): prior consent ---------------------------------------------------------------
def consent(day: str, clock: str = "10:30", **fields: Any) -> dict[str, Any]:
    event = {
        "datetime": at(day, clock),
        "channel": "consent",
        "party": "consumer",
        "consent_type": "additional_calls",
        "given_directly_to_collector": True,
        "consent_scope_debt_ids": ["CC-1"],
    }
    event.update(fields)
    return event


def test_consent_to_call_back_on_monday() -> None:
    """cmt. 14(b)(3)(i)-3.i: conversation on Friday, April 3; "call back on Monday" lets the
    collector call on Monday, April 6."""
    talk = call("2026-04-03", outcome="conversation")
    monday = consent("2026-04-03", "10:00", consent_valid_dates=["2026-04-06"])
    assert rules(verdict(call("2026-04-06"), [talk])) == {AFTER_CONVERSATION}
    assert verdict(call("2026-04-06"), [talk, monday]).allowed
    tuesday = verdict(call("2026-04-04"), [talk, monday])
    assert tuesday.decision is Decision.DEFERRED
    assert local(tuesday) == datetime(2026, 4, 6, 8, tzinfo=NY)


def test_conversation_ends_the_consent() -> None:
    """cmt. 14(b)(3)(i)-3.ii: the collector calls back Monday, April 6 and talks with the
    consumer; a call on Wednesday, April 8 without new consent is a presumed violation."""
    events = [
        call("2026-04-03", outcome="conversation"),
        consent("2026-04-03", "10:00"),
        call("2026-04-06", outcome="conversation"),
    ]
    result = verdict(call("2026-04-08"), events)
    assert rules(result) == {AFTER_CONVERSATION}
    assert local(result) == datetime(2026, 4, 13, 8, tzinfo=NY)


def test_consent_by_email_excludes_eight_calls() -> None:
    """cmt. 14(b)(3)(i)-3.iii: three unanswered calls June 1-3, consent by email Thursday, June 4,
    then eight unanswered calls June 8-10: none count. From June 11 calls count again."""
    events = [call(f"2026-06-0{day}") for day in (1, 2, 3)]
    events.append(consent("2026-06-04"))
    for clock in ("09:00", "10:00", "11:00"):
        events += [call("2026-06-08", clock), call("2026-06-09", clock)]
    events += [call("2026-06-10", "09:00"), call("2026-06-10", "10:00")]
    assert verdict(call("2026-06-10", "11:00"), events).allowed
    assert verdict(call("2026-06-11"), events).allowed
    without = [event for event in events if event["channel"] != "consent"]
    assert rules(verdict(call("2026-06-10", "11:00"), without)) == {SEVEN_IN_SEVEN}
    indirect = [*without, consent("2026-06-04", given_directly_to_collector=False)]
    assert rules(verdict(call("2026-06-10", "11:00"), indirect)) == {SEVEN_IN_SEVEN}


# §1006.14(b)(4): particular debts -----------------------------------------------------------------
DEBTS = [{"id": "MED"}, {"id": "CC-A"}, {"id": "CC-B"}]


def test_twenty_one_calls_over_three_debts() -> None:
    """cmt. 14(b)(4)-2.i: 21 unanswered calls in 7 days, seven counted toward each of three debts,
    are presumed compliant; one more toward any of them is not."""
    events = [
        call(f"2026-11-{day:02d}", f"{hour}:00", debt_ids=["MED", "CC-A", "CC-B"], counted_toward=d)
        for d, hour in (("MED", 10), ("CC-A", 12), ("CC-B", 14))
        for day in range(9, 16)
    ]
    assert len(events) == 21
    result = verdict(call("2026-11-15", "18:00", debt_ids=["MED"]), events, debts=DEBTS)
    assert rules(result) == {SEVEN_IN_SEVEN}
    anything = call("2026-11-15", "18:00", debt_ids=[])
    assert rules(verdict(anything, events, debts=DEBTS)) == {SEVEN_IN_SEVEN}
    assert verdict(call("2026-11-16", debt_ids=["MED"]), events, debts=DEBTS).allowed


def test_unattributed_call_takes_the_debt_with_room() -> None:
    """§2.1 step 5, cmt. 14(b)(4)-2.ii: a call about no particular debt may count toward any one."""
    events = [
        call(f"2026-11-{day:02d}", debt_ids=["MED"], counted_toward="MED") for day in range(9, 16)
    ]
    proposed = call("2026-11-15", "18:00", debt_ids=[])
    assert verdict(proposed, events, debts=[{"id": "MED"}, {"id": "CC-A"}]).allowed
    assert rules(verdict(proposed, events, debts=[{"id": "MED"}])) == {SEVEN_IN_SEVEN}


def test_conversation_about_one_debt_only() -> None:
    """cmt. 14(b)(4)-2.iii: a conversation on Monday, November 9 solely about the medical debt
    leaves the credit card debt untouched."""
    debts = [{"id": "MED"}, {"id": "CC"}]
    talk = call("2026-11-09", outcome="conversation", debt_ids=["MED"])
    assert verdict(call("2026-11-10", debt_ids=["CC"]), [talk], debts=debts).allowed
    assert rules(verdict(call("2026-11-10", debt_ids=["MED"]), [talk], debts=debts)) == {
        AFTER_CONVERSATION
    }


def test_conversation_about_two_debts_counts_for_both() -> None:
    """cmt. 14(b)(4)-2.iv: a conversation about both debts on November 9 counts for each."""
    debts = [{"id": "MED"}, {"id": "CC"}]
    talk = call("2026-11-09", outcome="conversation", debt_ids=["MED", "CC"])
    for debt in ("MED", "CC"):
        result = verdict(call("2026-11-12", debt_ids=[debt]), [talk], debts=debts)
        assert rules(result) == {AFTER_CONVERSATION}


def test_general_conversation_counted_toward_one_debt() -> None:
    """cmt. 14(b)(4)-2.v: a general conversation on Thursday, November 12 counted toward the
    medical debt only; the credit card debt has had no conversation."""
    debts = [{"id": "MED"}, {"id": "CC"}]
    events = [
        call("2026-11-09", debt_ids=["MED"], counted_toward="MED"),
        call("2026-11-10", debt_ids=["MED"], counted_toward="MED"),
        *(call(f"2026-11-{d}", "15:00", debt_ids=["CC"]) for d in (10, 11, 12)),
        call(
            "2026-11-12",
            outcome="conversation",
            debt_ids=[],
            counted_toward="MED",
            counted_conversation_toward="MED",
        ),
    ]
    assert verdict(call("2026-11-13", debt_ids=["CC"]), events, debts=debts).allowed
    assert rules(verdict(call("2026-11-13", debt_ids=["MED"]), events, debts=debts)) == {
        AFTER_CONVERSATION
    }


def test_consumer_raises_another_debt() -> None:
    """cmt. 14(b)(4)-2.vi: a call about the medical debt in which the consumer raises the credit
    card debt is a conversation about both, but a call placed only about the medical debt."""
    debts = [{"id": "MED"}, {"id": "CC"}]
    talk = call(
        "2026-11-09", outcome="conversation", debt_ids=["MED"], discussed_debt_ids=["MED", "CC"]
    )
    assert rules(verdict(call("2026-11-10", debt_ids=["CC"]), [talk], debts=debts)) == {
        AFTER_CONVERSATION
    }
    six = [call(f"2026-11-{day:02d}", debt_ids=["CC"]) for day in (3, 4, 5, 6, 7, 8)]
    later = call("2026-11-16", "09:00", debt_ids=["CC"])
    counted = [*six, talk, call("2026-11-16", "08:00", debt_ids=["CC"])]
    # Six calls about CC Nov 3-8 and one on Nov 16; the Nov 9 call counts only toward MED.
    assert verdict(later, counted, debts=debts).allowed


def test_student_loans_under_one_account_are_one_debt() -> None:
    """§1006.14(b)(4), cmt. 14(b)(4)-2.vii: three student loans serviced under one account number
    are a single debt: a conversation about any one limits calls about all three."""
    debts = [{"id": f"SL-{n}", "group": "acct-9"} for n in (1, 2, 3)]
    talk = call("2026-11-09", outcome="conversation", debt_ids=["SL-1"])
    result = verdict(call("2026-11-11", debt_ids=["SL-3"]), [talk], debts=debts)
    assert rules(result) == {AFTER_CONVERSATION}
    assert "acct-9 (SL-1, SL-2, SL-3)" in result.reasons[0].message
    calls = [call(f"2026-11-{day:02d}", debt_ids=[f"SL-{day % 3 + 1}"]) for day in range(2, 9)]
    assert rules(verdict(call("2026-11-08", "12:00", debt_ids=["SL-1"]), calls, debts=debts)) == {
        SEVEN_IN_SEVEN
    }


def test_counting_days_follow_the_consumer_local_day() -> None:
    """§2.1: days are the consumer's local days: a call at 23:30 UTC on April 7 is on April 7 in
    New York; window April 1-7 is full, so a 20:00 ET call on April 7 waits for April 8."""
    events = [call(f"2026-04-0{day}") for day in range(2, 7)] + [
        {**call("2026-04-01"), "datetime": "2026-04-01T12:00:00+00:00"},
        {**call("2026-04-07"), "datetime": "2026-04-07T23:30:00+00:00"},
    ]
    result = verdict(call("2026-04-07", "20:00"), events)
    assert rules(result) == {SEVEN_IN_SEVEN}


# ---------------------------------------------------------------------------------------------
# §1006.14(a) and (h)
# ---------------------------------------------------------------------------------------------
def text(day: str = "2026-04-01", clock: str = "10:00", **fields: Any) -> dict[str, Any]:
    base = {"to_number": "mobile-1", "content": f"{INITIAL} Reply STOP to stop texts."}
    return message(day, clock, channel="sms", **{**base, **fields})


def test_optional_daily_text_cap() -> None:
    """§1006.14(a), cmt. 14(a)-2.i: many texts a day can harass; the cap is configuration."""
    capped = us_pack(USParams(sms_per_day=2), code="US-INST")
    sent = [text(clock="09:00"), text(clock="09:30")]
    assert verdict(text(), sent).allowed
    result = verdict(text(), sent, pack=capped)
    assert rules(result) == {CUMULATIVE}
    assert local(result) == datetime(2026, 4, 2, 8, tzinfo=NY)


def test_stop_calling_blocks_the_phone_medium() -> None:
    """cmt. 14(h)(1)-3.i: "stop calling" bars telephone calls; other media remain."""
    opt_out = {
        "datetime": at("2026-04-01", "09:00"),
        "channel": "medium_opt_out",
        "party": "consumer",
        "medium": "phone",
    }
    result = verdict(call("2026-04-02"), [opt_out])
    assert result.decision is Decision.BLOCKED
    assert rules(result) == {MEDIUM}
    assert verdict(text("2026-04-02"), [opt_out]).allowed
    required = call("2026-04-02", purpose="legally_required")
    assert verdict(required, [opt_out]).allowed


def test_stop_reply_bars_that_number_only() -> None:
    """cmt. 14(h)(1)-2, -3.ii: opting out of texts to one number bars that number; §1006.14(h)(2)(i)
    allows the opt-out confirmation."""
    stop = {
        "datetime": at("2026-04-01", "09:00"),
        "channel": "sms",
        "direction": "inbound",
        "party": "consumer",
        "from_number": "mobile-1",
        "content_type": "STOP",
    }
    assert rules(verdict(text("2026-04-02"), [stop])) == {MEDIUM}
    assert verdict(text("2026-04-02", to_number="mobile-2"), [stop]).allowed
    confirm = text(
        "2026-04-01",
        "09:01",
        content="You will receive no more texts at this number.",
        content_type="opt_out_confirmation",
    )
    assert verdict(confirm, [stop]).allowed


def test_new_consent_to_the_number_lifts_an_opt_out() -> None:
    """§1006.6(d)(5)(ii), §1006.14(h): a later consent to texts at the number, given directly,
    ends the earlier request not to use it (assumption: the newer instruction wins)."""
    opt_out = {
        "datetime": at("2026-04-01", "09:00"),
        "channel": "medium_opt_out",
        "party": "consumer",
        "medium": "sms",
        "to_number": "mobile-1",
    }
    again = {
        "datetime": at("2026-04-05", "09:00"),
        "channel": "consent",
        "party": "consumer",
        "consent_type": "text_number",
        "given_directly_to_collector": True,
        "to_number": "mobile-1",
    }
    assert rules(verdict(text("2026-04-06"), [opt_out])) == {MEDIUM}
    assert verdict(text("2026-04-06"), [opt_out, again]).allowed


def test_person_starts_contact_on_barred_medium() -> None:
    """§1006.14(h)(2)(ii): the person texts on a barred number; one reply by text is allowed."""
    stop = {
        "datetime": at("2026-04-01", "09:00"),
        "channel": "sms",
        "direction": "inbound",
        "party": "consumer",
        "from_number": "mobile-1",
        "content_type": "STOP",
    }
    asks = {**stop, "datetime": at("2026-04-03", "09:00"), "content_type": None}
    reply = text("2026-04-03", "09:30", in_reply_to_consumer_message=True)
    assert verdict(reply, [stop, asks]).allowed
    replied = text("2026-04-03", "09:30")
    assert rules(
        verdict(
            text("2026-04-03", "09:40", in_reply_to_consumer_message=True), [stop, asks, replied]
        )
    ) == {MEDIUM}


# ---------------------------------------------------------------------------------------------
# §1006.18(e), §1006.22(f), §1006.26(b)
# ---------------------------------------------------------------------------------------------
def test_initial_communication_needs_the_full_disclosure() -> None:
    """§1006.18(e)(1): the initial communication says the collector is attempting to collect a
    debt and any information obtained will be used for that purpose."""
    assert verdict(message("2026-04-01", content=f"Hello. {INITIAL}")).allowed
    result = verdict(message("2026-04-01", content=f"Hello. {LATER}"))
    assert rules(result) == {DISCLOSURE}
    close = (
        "This is an attempt to collect a debt, and any information we obtain will be used for "
        "that purpose."
    )
    assert verdict(message("2026-04-01", content=close)).allowed


def test_later_communication_needs_the_collector_disclosure() -> None:
    """§1006.18(e)(2): each later communication discloses that it is from a debt collector."""
    first = message("2026-04-01", content=INITIAL)
    assert verdict(message("2026-04-05", content=LATER), [first]).allowed
    assert rules(verdict(message("2026-04-05", content="Please pay."), [first])) == {DISCLOSURE}


def test_oral_initial_communication_repeated_in_first_writing() -> None:
    """§1006.18(e)(1), second sentence: after an oral initial communication the full disclosure
    is made again in the initial written communication."""
    talk = call("2026-04-01", outcome="conversation")
    assert rules(verdict(message("2026-04-03", content=LATER), [talk])) == {DISCLOSURE}
    assert verdict(message("2026-04-03", content=INITIAL), [talk]).allowed


def test_limited_content_message_needs_no_disclosure() -> None:
    """cmt. 18(e)-1: a limited-content message is not a communication."""
    lcm = call(
        "2026-04-01",
        content="Hi, this is Jane at ABC. Please call 555-0100.",
        content_type="limited_content_message",
    )
    assert verdict(lcm).allowed


def test_consumer_initiated_call_is_the_initial_communication() -> None:
    """cmt. 18(e)(1)-1: after the consumer's call the next oral contact is a later one."""
    inbound = {
        "datetime": at("2026-04-01", "10:00"),
        "channel": "phone",
        "direction": "inbound",
        "party": "consumer",
        "outcome": "conversation",
    }
    script = call("2026-04-09", content=f"Hello, {LATER}")
    assert verdict(script, [inbound]).allowed
    assert rules(verdict(script)) == {DISCLOSURE}


def test_no_postcards_and_plain_envelopes() -> None:
    """§1006.22(f)(1)-(2), cmt. 22(f)(2)-1: no postcards; only the collector's address (and a
    neutral business name) on the envelope."""
    postcard = message("2026-04-01", content=INITIAL, mail_format="postcard")
    assert rules(verdict(postcard)) == {POSTCARD}
    loud = message("2026-04-01", content=INITIAL, envelope_text="ABC Debt Recovery, PO Box 1")
    assert rules(verdict(loud)) == {ENVELOPE}
    quiet = message("2026-04-01", content=INITIAL, envelope_text="ABC Services, PO Box 1")
    assert verdict(quiet).allowed


def test_social_media_must_be_private() -> None:
    """§1006.22(f)(4), cmt. 22(f)(4)-1: not viewable by the public or the person's contacts."""
    post = message(
        "2026-04-01",
        channel="social_media",
        content=f"{INITIAL} Reply STOP to opt out.",
        visibility="public",
    )
    assert rules(verdict(post)) == {SOCIAL_MEDIA}
    assert verdict({**post, "visibility": "private"}).allowed


def test_no_threat_of_suit_on_time_barred_debt() -> None:
    """§1006.26(b): no legal action or threat of it on a time-barred debt."""
    debts = [{"id": "CC-1", "sol_expiry": "2025-06-30"}]
    threat = message("2026-04-01", content=INITIAL, content_flags=["threat_of_legal_action"])
    assert rules(verdict(threat, debts=debts)) == {TIME_BARRED}
    assert verdict(message("2026-04-01", content=INITIAL), debts=debts).allowed
    fresh = [{"id": "CC-1", "sol_expiry": "2029-06-30"}]
    assert verdict(threat, debts=fresh).allowed


# ---------------------------------------------------------------------------------------------
# §1006.30(a) furnishing
# ---------------------------------------------------------------------------------------------
def furnish(day: str) -> dict[str, Any]:
    return {
        "datetime": at(day, "12:00"),
        "channel": "cra_furnishing",
        "direction": "outbound",
        "party": "consumer_reporting_agency",
        "debt_ids": ["CC-1"],
    }


MAY_NOTICE = message("2026-05-01", content=INITIAL, content_type="validation_notice")


def test_furnishing_after_a_notice_of_undeliverability() -> None:
    """cmt. 30(a)(1)-3.i: notice mailed May 1, undeliverable May 10: furnishing without further
    action violates §1006.30(a)(1)."""
    returned = {
        "datetime": at("2026-05-10"),
        "channel": "undeliverable_notice",
        "debt_ids": ["CC-1"],
    }
    result = verdict(furnish("2026-05-20"), [MAY_NOTICE, returned])
    assert result.decision is Decision.BLOCKED
    assert rules(result) == {FURNISHING}


def test_furnishing_after_resending() -> None:
    """cmt. 30(a)(1)-3.ii: re-mailed May 11; no notice May 11-24; furnishing afterwards is fine."""
    returned = {
        "datetime": at("2026-05-10"),
        "channel": "undeliverable_notice",
        "debt_ids": ["CC-1"],
    }
    again = message("2026-05-11", content=INITIAL, content_type="validation_notice")
    events = [MAY_NOTICE, returned, again]
    waiting = verdict(furnish("2026-05-20"), events)
    assert waiting.decision is Decision.DEFERRED
    assert rules(waiting) == {FURNISHING}
    assert local(waiting) == datetime(2026, 5, 25, 0, tzinfo=NY)
    assert verdict(furnish("2026-05-25"), events).allowed


def test_furnishing_after_fourteen_quiet_days() -> None:
    """cmt. 30(a)(1)-2, -3.iii: May 1 to May 14 with no notice; furnishing from May 15 is fine."""
    assert verdict(furnish("2026-05-15"), [MAY_NOTICE]).allowed
    assert verdict(furnish("2026-05-14"), [MAY_NOTICE]).decision is Decision.DEFERRED
    assert verdict(furnish("2026-05-14")).decision is Decision.BLOCKED


def test_furnishing_after_speaking_to_the_consumer() -> None:
    """§1006.30(a)(1)(i): speaking to the consumer about the debt by telephone suffices."""
    talk = call("2026-05-02", outcome="conversation")
    assert verdict(furnish("2026-05-02"), [talk]).allowed


# ---------------------------------------------------------------------------------------------
# §1006.38: disputes and original-creditor requests; holds
# ---------------------------------------------------------------------------------------------
VALIDATION = message(
    "2026-04-01",
    content=INITIAL,
    content_type="validation_notice",
    validation_period_end="2026-05-08",
)


def dispute(day: str, kind: str = "written_dispute") -> dict[str, Any]:
    return {
        "datetime": at(day, "09:00"),
        "channel": "letter",
        "direction": "inbound",
        "party": "consumer",
        "content_type": kind,
        "debt_ids": ["CC-1"],
    }


def test_written_dispute_stops_collection_until_verification() -> None:
    """§1006.38(d)(2)(i): after a written dispute within the validation period, collection stops
    until verification is sent; furnishing stops too (assumption)."""
    events = [VALIDATION, dispute("2026-04-20")]
    blocked = verdict(call("2026-04-22"), events)
    assert blocked.decision is Decision.BLOCKED
    assert rules(blocked) == {DISPUTE}
    assert DISPUTE in rules(verdict(furnish("2026-05-30"), events))
    sending = message("2026-04-22", content=LATER, content_type="verification_sent")
    assert verdict(sending, events).allowed
    verified = [*events, {**sending, "datetime": at("2026-04-25")}]
    assert verdict(call("2026-04-27"), verified).allowed


def test_dispute_after_the_validation_period() -> None:
    """§1006.38(d)(2): only a dispute within the validation period stops collection."""
    assert verdict(call("2026-05-12"), [VALIDATION, dispute("2026-05-11")]).allowed
    computed = {**VALIDATION, "validation_period_end": None}
    assert rules(verdict(call("2026-05-09"), [computed, dispute("2026-05-08")])) == {DISPUTE}


def test_original_creditor_request() -> None:
    """§1006.38(c): collection stops until the original creditor's name and address are sent."""
    events = [VALIDATION, dispute("2026-04-20", "original_creditor_request")]
    assert rules(verdict(call("2026-04-22"), events)) == {ORIGINAL_CREDITOR}
    sent = message("2026-04-21", content=LATER, content_type="original_creditor_information_sent")
    assert verdict(call("2026-04-22"), [*events, sent]).allowed


def test_active_hold_blocks_until_lifted() -> None:
    """COMPLIANCE-RULES.md §3.9: holds and stop states (the case holds the service passes in)."""
    hold = {
        "datetime": at("2026-04-01", "00:00"),
        "channel": "hold",
        "content_type": "bankruptcy",
        "debt_ids": ["CC-1"],
    }
    assert rules(verdict(call("2026-04-02"), [hold])) == {HOLD}
    assert verdict(call("2026-04-02"), [{**hold, "status": "lifted"}]).allowed


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------
OUTCOMES = [
    "unanswered",
    "busy",
    "not_in_service",
    "voicemail_no_message",
    "voicemail_limited_content",
    "answered_then_dropped_no_conversation",
    "conversation",
    "conversation_dropped",
]
START = datetime(2026, 4, 1, tzinfo=NY)


@st.composite
def histories(draw: st.DrawFn, size: int = 25) -> list[dict[str, Any]]:
    """Earlier calls, texts and consents to one consumer about CC-1 / MED over April 2026."""
    events = []
    for _ in range(draw(st.integers(0, size))):
        moment = START + timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        kind = draw(st.sampled_from(["call", "call", "call", "sms", "consent", "inbound"]))
        debts = draw(st.sampled_from([["CC-1"], ["MED"], ["CC-1", "MED"], []]))
        base: dict[str, Any] = {"datetime": moment.isoformat(), "party": "consumer"}
        if kind == "call":
            base |= {
                "channel": "phone",
                "direction": "outbound",
                "debt_ids": debts,
                "outcome": draw(st.sampled_from(OUTCOMES)),
                "to_number": draw(st.sampled_from(["mobile-1", "mobile-2"])),
            }
        elif kind == "sms":
            base |= {"channel": "sms", "direction": "outbound", "to_number": "mobile-1"}
        elif kind == "consent":
            base |= {
                "channel": "consent",
                "consent_type": "additional_calls",
                "given_directly_to_collector": draw(st.booleans()),
                "consent_scope_debt_ids": debts,
            }
        else:
            base |= {"channel": "phone", "direction": "inbound", "outcome": "conversation"}
        events.append(base)
    return events


def proposal(moment: datetime, channel: str = "phone", **fields: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "datetime": moment.isoformat(),
        "channel": channel,
        "direction": "outbound",
        "party": "consumer",
        "debt_ids": ["CC-1"],
        "to_number": "mobile-1",
        "to_address": "c@example.com",
        "address_basis": "consumer_used",
        "includes_opt_out_instruction": True,
    }
    contact.update(fields)
    return contact


DEBTS_TWO = [{"id": "CC-1"}, {"id": "MED"}]


@given(
    history=histories(),
    day=st.integers(0, 25),
    minute=st.integers(0, 24 * 60 - 1),
    channel=st.sampled_from(["phone", "ringless_voicemail", "sms", "email", "visit", "im"]),
    west=st.booleans(),
)
def test_nothing_inside_quiet_hours_without_consent(
    history: list[dict[str, Any]], day: int, minute: int, channel: str, west: bool
) -> None:
    """§1006.6(b)(1)(i): a time outside 08:00-21:00 in any plausible zone is never allowed
    without consent, whatever else the history says."""
    moment = START + timedelta(days=day, minutes=minute)
    debtor: dict[str, Any] = {}
    if west:
        debtor["location_signals"] = [{"type": "ip", "timezone": "America/Los_Angeles"}]
    zones = [NY, ZoneInfo("America/Los_Angeles")] if west else [NY]
    inside = all(time(8) <= moment.astimezone(z).time() <= time(21) for z in zones)
    result = verdict(proposal(moment, channel), history, debtor=debtor, debts=DEBTS_TWO)
    if not inside:
        assert not result.allowed
        assert TIME in rules(result)


@given(
    history=histories(),
    extra=st.lists(
        st.tuples(st.integers(0, 20 * 24 * 60), st.sampled_from(["CC-1", "MED"])), max_size=10
    ),
    day=st.integers(0, 25),
    hour=st.integers(8, 20),
    debts=st.sampled_from([["CC-1"], ["MED"], ["CC-1", "MED"], []]),
)
def test_more_earlier_calls_never_allow_more(
    history: list[dict[str, Any]],
    extra: list[tuple[int, str]],
    day: int,
    hour: int,
    debts: list[str],
) -> None:
    """§1006.14(b)(2): adding earlier counted calls never turns a blocked or deferred call into
    an allowed one (consent events aside, the history is the same)."""
    moment = START + timedelta(days=day, hours=hour)
    proposed = proposal(moment, debt_ids=debts)
    before = verdict(proposed, history, debts=DEBTS_TWO)
    added = [
        {
            "datetime": (START + timedelta(minutes=offset)).isoformat(),
            "channel": "phone",
            "direction": "outbound",
            "party": "consumer",
            "debt_ids": [debt],
            "outcome": "unanswered",
            "to_number": "mobile-3",
        }
        for offset, debt in extra
    ]
    after = verdict(proposed, history + added, debts=DEBTS_TWO)
    if not before.allowed:
        assert not after.allowed


@given(
    history=histories(40),
    seed=st.integers(0, 2**32 - 1),
    day=st.integers(0, 25),
    minute=st.integers(0, 24 * 60 - 1),
    channel=st.sampled_from(["phone", "sms", "email"]),
)
def test_verdict_ignores_event_order(
    history: list[dict[str, Any]], seed: int, day: int, minute: int, channel: str
) -> None:
    """The verdict depends on what happened, not on the order the events are listed in."""
    moment = START + timedelta(days=day, minutes=minute)
    proposed = proposal(moment, channel, debt_ids=[])
    shuffled = list(history)
    random.Random(seed).shuffle(shuffled)
    first = verdict(proposed, history, debts=DEBTS_TWO)
    second = verdict(proposed, shuffled, debts=DEBTS_TWO)
    assert first.as_json() == second.as_json()


def test_thousand_events_read_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Latency: the pack indexes a request's events once, however many rules read them."""
    import huikuan.compliance.us as us

    built: list[int] = []

    class Counting(us._Facts):
        def __init__(self, *args: Any) -> None:
            built.append(1)
            super().__init__(*args)

    monkeypatch.setattr(us, "_Facts", Counting)
    events = [
        {**call("2026-01-01"), "datetime": (START - timedelta(days=10, hours=3 * n)).isoformat()}
        for n in range(1000)
    ]
    parsed = parse_request(request(call("2026-04-01", "12:00"), events))
    assert check(parsed, [US_PACK]).allowed
    assert len(built) == 1
